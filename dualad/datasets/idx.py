"""Reading and writing IDX files, the array format MNIST is distributed in.

An IDX file is a big-endian header followed by raw C-order data:

* two zero bytes,
* one dtype code byte (``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
  ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64),
* one byte giving the number of dimensions ``ndim``,
* ``ndim`` big-endian unsigned 32-bit sizes,
* the array elements, big-endian.

Files may be gzip-compressed; compression is detected from the gzip magic
bytes (``1f 8b``), never from the file name. Nothing here uses pickle.

Examples:
    >>> import io
    >>> import numpy as np
    >>> buf = io.BytesIO()
    >>> write_idx(buf, np.arange(6, dtype=np.int16).reshape(2, 3))
    >>> buf.getvalue()[:4].hex()
    '00000b02'
    >>> read_idx(io.BytesIO(buf.getvalue())).tolist()
    [[0, 1, 2], [3, 4, 5]]
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import Any, BinaryIO, Final, TypeAlias, Union

import numpy as np
import numpy.typing as npt

__all__ = ["IDXFormatError", "parse_idx", "read_idx", "write_idx"]

# A file path, or a binary file object opened for reading or writing.
_Source: TypeAlias = Union[str, "os.PathLike[str]", BinaryIO]

_GZIP_MAGIC: Final = b"\x1f\x8b"

# dtype code -> big-endian element dtype as stored in the file.
_CODE_TO_DTYPE: Final[dict[int, np.dtype[Any]]] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# (kind, itemsize) of an in-memory array -> dtype code.
_KIND_TO_CODE: Final[dict[tuple[str, int], int]] = {
    ("u", 1): 0x08,
    ("i", 1): 0x09,
    ("i", 2): 0x0B,
    ("i", 4): 0x0C,
    ("f", 4): 0x0D,
    ("f", 8): 0x0E,
}
_KNOWN_CODES: Final = (
    "0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64"
)


class IDXFormatError(ValueError):
    """Raised when bytes are not a well-formed IDX file.

    The message names the file and says what is wrong with it.

    Examples:
        >>> try:
        ...     parse_idx(b"\\x00\\x00\\x08", source="tiny.idx")
        ... except IDXFormatError as err:
        ...     print(err)
        tiny.idx: truncated header: the file has 3 bytes, an IDX header needs at least 4
    """


def _source_name(source: _Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<file object>"


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise IDXFormatError(f"{name}: corrupt gzip stream: {err}") from err


def parse_idx(data: bytes, *, source: str = "<bytes>") -> npt.NDArray[Any]:
    """Decode the bytes of an IDX file (gzip-compressed or raw) into an array.

    Args:
        data: The complete file contents.
        source: Name used for the file in error messages.

    Returns:
        A new, writable array in native byte order with the file's dtype and
        shape.

    Raises:
        IDXFormatError: If the bytes are not a well-formed IDX file: bad magic,
            unknown dtype code, truncated header, truncated data, trailing
            bytes after the data, or a corrupt gzip stream.

    Examples:
        >>> header = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big")
        >>> parse_idx(header + bytes([7, 8, 9])).tolist()
        [7, 8, 9]
        >>> try:
        ...     parse_idx(header + bytes([7, 8]), source="s.idx")
        ... except IDXFormatError as err:
        ...     print(err)  # doctest: +ELLIPSIS
        s.idx: truncated data: shape (3,) of uint8 needs 3 bytes ... found 2
    """
    name = source
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, name)
    if len(data) < 4:
        raise IDXFormatError(
            f"{name}: truncated header: the file has {len(data)} bytes, "
            "an IDX header needs at least 4"
        )
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(
            f"{name}: bad magic number 0x{data[:4].hex()}: an IDX file starts with "
            "two zero bytes (and a gzip file with 1f 8b); this is neither"
        )
    code, ndim = data[2], data[3]
    if code not in _CODE_TO_DTYPE:
        raise IDXFormatError(
            f"{name}: unknown dtype code 0x{code:02X} in the header "
            f"(known: {_KNOWN_CODES})"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(
            f"{name}: truncated header: it declares {ndim} dimensions and so needs "
            f"{header_len} bytes, but the file has only {len(data)}"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _CODE_TO_DTYPE[code]
    count = math.prod(dims)
    expected = count * dtype.itemsize
    actual = len(data) - header_len
    if actual < expected:
        raise IDXFormatError(
            f"{name}: truncated data: shape {dims} of {dtype.name} needs {expected} "
            f"bytes after the {header_len}-byte header, found {actual}"
        )
    if actual > expected:
        raise IDXFormatError(
            f"{name}: {actual - expected} bytes of trailing garbage after the data: "
            f"shape {dims} of {dtype.name} needs {expected} bytes after the "
            f"{header_len}-byte header, found {actual}"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=header_len)
    return flat.reshape(dims).astype(dtype.newbyteorder("="))


def read_idx(source: _Source) -> npt.NDArray[Any]:
    """Read an IDX file, gzip-compressed or raw, into a NumPy array.

    Args:
        source: A path, or a binary file object positioned at the start of
            the IDX data (it is read to its end).

    Returns:
        A new, writable array in native byte order with the file's dtype and
        shape.

    Raises:
        IDXFormatError: If the file is not a well-formed IDX file; the message
            names the file and the problem.
        FileNotFoundError: If the path does not exist.

    Examples:
        >>> import os, tempfile
        >>> import numpy as np
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = os.path.join(tmp, "eye.idx.gz")
        ...     write_idx(path, np.eye(2, dtype=np.float64))
        ...     arr = read_idx(path)
        >>> arr.dtype, arr.tolist()
        (dtype('float64'), [[1.0, 0.0], [0.0, 1.0]])
    """
    name = _source_name(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        raw: object = source.read()
        if not isinstance(raw, (bytes, bytearray, memoryview)):
            raise TypeError(f"{name}: read_idx needs a binary file object, got text")
        data = bytes(raw)
    return parse_idx(data, source=name)


def write_idx(
    target: _Source, array: npt.ArrayLike, compress: bool | None = None
) -> None:
    """Write an array as an IDX file.

    Args:
        target: A path, or a binary file object opened for writing.
        array: The array; its dtype must be uint8, int8, int16, int32, float32
            or float64 (cast other types first, e.g. int64 to int32). Every
            dimension must be below 2**32 and there can be at most 255.
        compress: Whether to gzip the output. ``None`` (default) compresses
            exactly when ``target`` is a path whose name ends in ``.gz``.

    Raises:
        TypeError: If the dtype cannot be stored in IDX.
        ValueError: If the array has too many dimensions or a dimension is
            too large.

    Examples:
        >>> import io
        >>> import numpy as np
        >>> buf = io.BytesIO()
        >>> write_idx(buf, np.array([1.5, -2.0], dtype=np.float32), compress=True)
        >>> buf.getvalue()[:2].hex()
        '1f8b'
        >>> read_idx(io.BytesIO(buf.getvalue())).tolist()
        [1.5, -2.0]
    """
    arr = np.asarray(array)
    code = _KIND_TO_CODE.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"write_idx cannot store dtype {arr.dtype}; IDX supports uint8, int8, "
            "int16, int32, float32 and float64 only"
        )
    if arr.ndim > 255:
        raise ValueError(
            f"write_idx: IDX allows at most 255 dimensions, got {arr.ndim}"
        )
    if any(d >= 2**32 for d in arr.shape):
        raise ValueError(
            f"write_idx: every dimension must be < 2**32, got shape {arr.shape}"
        )
    header = struct.pack(f">BBBB{arr.ndim}I", 0, 0, code, arr.ndim, *arr.shape)
    payload = header + arr.astype(_CODE_TO_DTYPE[code]).tobytes(order="C")
    if compress is None:
        compress = isinstance(target, (str, os.PathLike)) and os.fspath(
            target
        ).endswith(".gz")
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as fh:
            fh.write(payload)
    else:
        target.write(payload)
