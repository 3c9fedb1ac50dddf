"""``python -m dualad.debug.gradcheck path/to/file.py:function --shape 3,4 --seed 0``."""

import sys

from dualad.debug.gradcheck.cli import main

if __name__ == "__main__":
    sys.exit(main())
