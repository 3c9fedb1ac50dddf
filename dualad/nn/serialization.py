"""Arrays by name to and from ``.npz`` files, never with pickle (loading runs no code).

:meth:`Module.save <dualad.nn.Module.save>` and :meth:`Module.load <dualad.nn.Module.load>`
use these; they also work on any ``{name: array}`` mapping, such as a ``state_dict``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["load_npz", "save_npz"]


def _with_suffix(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def save_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> Path:
    """Write ``arrays`` to a ``.npz`` file (``.npz`` is appended to ``path`` if missing).

    Object arrays are refused (they would need pickle). Returns the path written.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from dualad.nn.serialization import load_npz, save_npz
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = save_npz(os.path.join(tmp, "weights"), {"w": np.ones(2)})
        ...     path.name, load_npz(path)["w"]
        ('weights.npz', array([1., 1.]))
    """
    path = _with_suffix(path)
    # Entry by entry rather than np.savez(**arrays), which would clash with its own keywords.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(value), allow_pickle=False)
    return path


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read every array of a ``.npz`` file with ``allow_pickle=False``.

    ``path`` may omit the ``.npz`` suffix, as for :func:`save_npz`.
    """
    p = Path(path)
    if not p.exists() and _with_suffix(p).exists():
        p = _with_suffix(p)
    with np.load(p, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
