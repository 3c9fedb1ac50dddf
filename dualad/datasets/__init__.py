"""Datasets for dualad: an IDX reader/writer, MNIST, and mini-batching.

Self-contained: depends only on NumPy and the standard library. A 5,000-image
MNIST training sample and the official 10,000-image test split ship inside
the package, so :func:`load_mnist` works offline.

Examples:
    >>> from dualad.datasets import batches, load_mnist
    >>> x, y = load_mnist(split="train")
    >>> x.shape, y.shape
    ((5000, 784), (5000,))
    >>> xb, yb = next(batches(x, y, 64, seed=0))
    >>> xb.shape, yb.shape
    ((64, 784), (64,))
"""

from .batches import BatchIterator as BatchIterator
from .batches import batches as batches
from .idx import IDXFormatError as IDXFormatError
from .idx import parse_idx as parse_idx
from .idx import read_idx as read_idx
from .idx import write_idx as write_idx
from .mnist import BUNDLED_MD5 as BUNDLED_MD5
from .mnist import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from .mnist import MNIST_MD5 as MNIST_MD5
from .mnist import ChecksumError as ChecksumError
from .mnist import download_mnist as download_mnist
from .mnist import load_mnist as load_mnist

__all__ = [
    "BUNDLED_MD5",
    "DEFAULT_BASE_URL",
    "MNIST_MD5",
    "BatchIterator",
    "ChecksumError",
    "IDXFormatError",
    "batches",
    "download_mnist",
    "load_mnist",
    "parse_idx",
    "read_idx",
    "write_idx",
]
