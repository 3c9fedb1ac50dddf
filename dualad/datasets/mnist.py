"""The MNIST handwritten digits: bundled samples, full-set loading, download.

dualad ships two MNIST splits inside the package (about 2.4 MB, gzipped IDX):
5,000 images of the official training split (500 per digit) and the complete
official 10,000-image test split. :func:`load_mnist` reads them with no
network access. The full 60,000-image training split can be fetched with
:func:`download_mnist` and then loaded with ``load_mnist(root)``.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed
CC BY-SA 3.0.

Examples:
    >>> sorted(BUNDLED_MD5)[0]
    't10k-images-idx3-ubyte.gz'
    >>> MNIST_MD5["train-labels-idx1-ubyte.gz"]
    'd53e105ee54ea40749a09fcbcd1e9432'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from ._download import fetch_to_temp
from .idx import parse_idx

__all__ = [
    "BUNDLED_MD5",
    "DEFAULT_BASE_URL",
    "MNIST_MD5",
    "ChecksumError",
    "download_mnist",
    "load_mnist",
]

MNIST_MD5: Final[Mapping[str, str]] = MappingProxyType(
    {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
)
"""md5 of each official (gzipped) MNIST file."""

BUNDLED_MD5: Final[Mapping[str, str]] = MappingProxyType(
    {
        "train-5k-images-idx3-ubyte.gz": "37a7a4656cd0c968216ca32bfce33ff6",
        "train-5k-labels-idx1-ubyte.gz": "ab3330caac79287d706e8d40290e060a",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
)
"""md5 of each MNIST file shipped inside the package (``datasets/data``)."""

DEFAULT_BASE_URL: Final = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""Where :func:`download_mnist` fetches the official files from by default."""

_PACKAGE: Final = __package__ or "dualad.datasets"
_OFFICIAL: Final = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_BUNDLED: Final = {
    "train": ("train-5k-images-idx3-ubyte.gz", "train-5k-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class ChecksumError(ValueError):
    """Raised when a file's md5 differs from the expected one.

    Examples:
        >>> issubclass(ChecksumError, ValueError)
        True
    """


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _check_md5(data: bytes, name: str, expected: str, advice: str) -> None:
    actual = _md5(data)
    if actual != expected:
        raise ChecksumError(
            f"{name}: md5 mismatch: expected {expected}, got {actual}. {advice}"
        )


def _read_bundled(name: str) -> npt.NDArray[Any]:
    res = resources.files(_PACKAGE) / "data" / name
    try:
        data = res.read_bytes()
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"the MNIST file {name} bundled with dualad is missing ({res}); "
            "the installation is incomplete, reinstall dualad"
        ) from err
    advice = "The dualad installation is damaged; reinstall it."
    _check_md5(data, str(res), BUNDLED_MD5[name], advice)
    return parse_idx(data, source=str(res))


def _find(root: Path, stem: str) -> Path | None:
    for candidate in (root / f"{stem}.gz", root / stem):
        if candidate.is_file():
            return candidate
    return None


def _read_checked(path: Path, checksums: Mapping[str, str]) -> npt.NDArray[Any]:
    data = path.read_bytes()
    expected = checksums.get(path.name)
    if expected is not None:  # the official md5s are of the .gz files only
        advice = (
            "The file is corrupt or not the official one; delete it and re-download "
            f"with dualad.datasets.download_mnist({str(path.parent)!r}, force=True)."
        )
        _check_md5(data, str(path), expected, advice)
    return parse_idx(data, source=str(path))


def _validate(
    images: npt.NDArray[Any], labels: npt.NDArray[Any], names: tuple[str, str]
) -> None:
    problem = ""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        problem = f"{names[0]}: expected uint8 images of shape (n, 28, 28), got"
        problem += f" {images.dtype} {images.shape}"
    elif labels.dtype != np.uint8 or labels.ndim != 1:
        problem = f"{names[1]}: expected uint8 labels of shape (n,), got"
        problem += f" {labels.dtype} {labels.shape}"
    elif len(images) != len(labels):
        problem = f"{len(images)} images in {names[0]} but {len(labels)} labels"
        problem += f" in {names[1]}; the two files do not belong together"
    elif labels.size and int(labels.max()) > 9:
        problem = f"{names[1]}: labels must be digits 0-9, found {int(labels.max())}"
    if problem:
        raise ValueError(problem)


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    split: Literal["train", "test"] = "train",
    normalize: bool = True,
    flatten: bool = True,
    dtype: npt.DTypeLike = np.float32,
    checksums: Mapping[str, str] | None = None,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Load MNIST images and labels.

    Args:
        root: ``None`` (default) loads the copies bundled with dualad: split
            ``"train"`` is a 5,000-image sample of the official training
            split (500 per digit), split ``"test"`` the full official 10,000
            test images. Otherwise a directory holding the official files
            (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
            ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``, or
            the same names without ``.gz``), e.g. as written by
            :func:`download_mnist`; split ``"train"`` then has 60,000 images.
        split: ``"train"`` or ``"test"``.
        normalize: If true, images are scaled to ``[0, 1]`` as ``dtype``;
            if false they are the raw ``uint8`` pixels (``dtype`` is ignored).
        flatten: If true, images have shape ``(n, 784)``, else ``(n, 28, 28)``.
        dtype: Floating dtype of normalized images.
        checksums: md5 per file name, replacing :data:`MNIST_MD5` in root
            mode (for mirrors of other versions). Gzipped files whose name is
            in the table are verified; files not in it are only checked for
            structure. Bundled files are always verified against
            :data:`BUNDLED_MD5`.

    Returns:
        ``(images, labels)``, labels being ``int64`` digits 0-9.

    Raises:
        FileNotFoundError: If files are missing from ``root``.
        ChecksumError: If a file's md5 does not match.
        IDXFormatError: If a file is not well-formed IDX.
        ValueError: For bad arguments or files of unexpected shape.

    Examples:
        >>> x, y = load_mnist(split="test")
        >>> x.shape, x.dtype, y.shape, y.dtype
        ((10000, 784), dtype('float32'), (10000,), dtype('int64'))
        >>> float(x.min()), float(x.max())
        (0.0, 1.0)
        >>> x, y = load_mnist(normalize=False, flatten=False)
        >>> x.shape, x.dtype, y[:5].tolist()
        ((5000, 28, 28), dtype('uint8'), [4, 2, 0, 9, 6])
    """
    if split not in _OFFICIAL:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    out_dtype = np.dtype(dtype)
    if normalize and not np.issubdtype(out_dtype, np.floating):
        raise ValueError(
            f"dtype must be a floating dtype when normalize=True, got {out_dtype}"
        )
    if root is None:
        names = _BUNDLED[split]
        images, labels = (_read_bundled(name) for name in names)
    else:
        base = Path(root)
        found = [_find(base, stem) for stem in _OFFICIAL[split]]
        missing = [
            f"{stem}.gz" for stem, p in zip(_OFFICIAL[split], found) if p is None
        ]
        if missing:
            raise FileNotFoundError(
                f"MNIST {split} files missing from {base}: {', '.join(missing)} "
                "(un-gzipped copies are accepted too). Fetch them with "
                f"dualad.datasets.download_mnist({str(base)!r}), or copy the official "
                "files into that directory by hand."
            )
        table = MNIST_MD5 if checksums is None else checksums
        paths = [p for p in found if p is not None]
        names = (str(paths[0]), str(paths[1]))
        images, labels = (_read_checked(p, table) for p in paths)
    _validate(images, labels, names)
    x: npt.NDArray[Any] = images.reshape(len(images), -1) if flatten else images
    if normalize:
        x = x.astype(out_dtype)
        x /= out_dtype.type(255)
    return x, labels.astype(np.int64)


def download_mnist(
    root: str | os.PathLike[str],
    *,
    base_url: str = DEFAULT_BASE_URL,
    force: bool = False,
    progress: bool = True,
    checksums: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download the four official MNIST files into ``root``, verifying md5s.

    Only this explicit call touches the network. Files already present with
    the right md5 are kept unless ``force`` is set. Each file is written to a
    temporary file in ``root`` and renamed into place only once complete and
    verified.

    Args:
        root: Directory to write to (created if needed).
        base_url: URL prefix the file names are appended to (``file://``
            works too).
        force: Download even files already present and correct.
        progress: Show a progress bar (tqdm if installed, else stderr).
        checksums: md5 per file name, replacing :data:`MNIST_MD5`; its keys
            are the files fetched.
        timeout: Socket timeout in seconds.

    Returns:
        ``root`` as a :class:`~pathlib.Path`, ready for ``load_mnist(root)``.

    Raises:
        ConnectionError: If a file cannot be fetched, e.g. offline.
        ChecksumError: If a downloaded file has the wrong md5.

    Examples:
        Offline demonstration with a ``file://`` URL and a one-file table:

        >>> import hashlib, pathlib, tempfile
        >>> md5 = hashlib.md5(b"digits").hexdigest()
        >>> with tempfile.TemporaryDirectory() as src:
        ...     _ = (pathlib.Path(src) / "demo.bin").write_bytes(b"digits")
        ...     with tempfile.TemporaryDirectory() as dst:
        ...         out = download_mnist(dst, base_url=pathlib.Path(src).as_uri(),
        ...                              checksums={"demo.bin": md5}, progress=False)
        ...         print((out / "demo.bin").read_bytes())
        b'digits'
    """
    table = MNIST_MD5 if checksums is None else checksums
    dest_dir = Path(root)
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = base_url if base_url.endswith("/") else base_url + "/"
    hint = (
        f"To install MNIST by hand, fetch {', '.join(table)} from {base} (or any "
        f"MNIST mirror) on a machine with network access and copy them into "
        f"{dest_dir}; load_mnist({str(dest_dir)!r}) also accepts un-gzipped copies."
    )
    for name, expected in table.items():
        dest = dest_dir / name
        if dest.is_file() and not force and _md5(dest.read_bytes()) == expected:
            continue
        url = base + name
        tmp, actual = fetch_to_temp(
            url, dest, progress=progress, timeout=timeout, hint=hint
        )
        if actual != expected:
            tmp.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url}: md5 mismatch: expected {expected}, got {actual}; nothing "
                f"was written to {dest}. Retry, or try another mirror with base_url=."
            )
        os.replace(tmp, dest)
    return dest_dir
