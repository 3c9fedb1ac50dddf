"""Tests for dualad.datasets: IDX I/O, MNIST loading and download, batching.

No test touches the network: downloads use file:// URLs or a closed local port.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import socket
import struct
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dualad.datasets import (
    BUNDLED_MD5,
    MNIST_MD5,
    BatchIterator,
    ChecksumError,
    IDXFormatError,
    batches,
    download_mnist,
    load_mnist,
    parse_idx,
    read_idx,
    write_idx,
)

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _bundled(name: str) -> Path:
    path = Path(str(resources.files("dualad.datasets") / "data" / name))
    assert path.is_file(), path
    return path


def _header(code: int, *dims: int) -> bytes:
    return struct.pack(f">BBBB{len(dims)}I", 0, 0, code, len(dims), *dims)


def _fake_mnist(root: Path, files: tuple[str, str], n: int, seed: int = 0) -> None:
    """Write a small, well-formed MNIST-like pair of gzipped IDX files."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    write_idx(root / files[0], images)
    write_idx(root / files[1], (np.arange(n) % 10).astype(np.uint8))


def _checksums(root: Path, files: tuple[str, ...]) -> dict[str, str]:
    return {name: _md5(root / name) for name in files}


# --------------------------------------------------------------- bundled MNIST


def test_bundled_train_sample() -> None:
    x, y = load_mnist()
    assert x.shape == (5000, 784) and x.dtype == np.float32
    assert y.shape == (5000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == [500] * 10


def test_bundled_test_split() -> None:
    x, y = load_mnist(split="test", flatten=False)
    assert x.shape == (10000, 28, 28) and x.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert set(np.unique(y).tolist()) == set(range(10))


def test_bundled_raw_and_normalized_agree() -> None:
    raw, y_raw = load_mnist(split="test", normalize=False, flatten=False)
    assert raw.dtype == np.uint8 and raw.shape == (10000, 28, 28)
    x, y = load_mnist(split="test", dtype=np.float64)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, raw.reshape(10000, 784) / 255.0)
    np.testing.assert_array_equal(y, y_raw)


def test_bundled_files_match_their_md5_table() -> None:
    for name, md5 in BUNDLED_MD5.items():
        assert _md5(_bundled(name)) == md5


def test_bundled_train_sample_is_disjoint_from_test_split() -> None:
    train, _ = load_mnist(normalize=False)
    test, _ = load_mnist(split="test", normalize=False)
    assert not {r.tobytes() for r in train} & {r.tobytes() for r in test}


def test_load_mnist_argument_errors() -> None:
    with pytest.raises(ValueError, match="split"):
        load_mnist(split="valid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="floating"):
        load_mnist(dtype=np.int32)


# ------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(3, 4, 5), (7,), (0, 2), ()])
def test_idx_round_trip(
    tmp_path: Path, dtype: Any, compress: bool, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(1)
    arr = (rng.standard_normal(shape) * 50).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, arr, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    for got in (
        read_idx(path),
        read_idx(str(path)),
        read_idx(io.BytesIO(path.read_bytes())),
    ):
        assert got.dtype == np.dtype(dtype) and got.dtype.isnative
        assert got.shape == shape
        assert got.flags.writeable
        np.testing.assert_array_equal(got, arr)


def test_write_idx_layout_is_big_endian(tmp_path: Path) -> None:
    buf = io.BytesIO()
    write_idx(buf, np.array([[1, 256]], dtype="<i4"))
    assert buf.getvalue() == _header(0x0C, 1, 2) + bytes.fromhex("00000001 00000100")


def test_write_idx_compression_follows_suffix(tmp_path: Path) -> None:
    arr = np.arange(4, dtype=np.uint8)
    write_idx(tmp_path / "a.idx.gz", arr)
    write_idx(tmp_path / "b.idx", arr)
    assert (tmp_path / "a.idx.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "b.idx").read_bytes()[:2] == b"\x00\x00"


def test_gzip_detected_by_magic_not_name(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    write_idx(tmp_path / "looks-raw.idx", arr, compress=True)
    write_idx(tmp_path / "looks-gz.gz", arr, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw.idx"), arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-gz.gz"), arr)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.bool_, np.complex64])
def test_write_idx_rejects_unsupported_dtypes(tmp_path: Path, dtype: Any) -> None:
    with pytest.raises(TypeError, match="IDX supports"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=dtype))


def test_read_idx_errors_for_missing_file_and_text_stream(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(TypeError, match="binary"):
        read_idx(io.StringIO("text"))  # type: ignore[arg-type]


GOOD = _header(0x08, 2, 3) + bytes(range(6))


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"", "truncated header"),
        (b"\x00\x00\x08", "truncated header"),
        (_header(0x08, 2, 3)[:9], r"truncated header: it declares 2 dimensions"),
        (GOOD[:-1], r"truncated data: .* needs 6 bytes .* found 5"),
        (
            _header(0x0D, 4) + b"\x00" * 15,
            r"truncated data: .* needs 16 bytes .* found 15",
        ),
        (b"\x01\x02" + GOOD[2:], "bad magic"),
        (b"PK\x03\x04" + GOOD[4:], "bad magic"),
        (_header(0x0A, 1) + b"\x00", "unknown dtype code 0x0A"),
        (_header(0x07, 1) + b"\x00", "unknown dtype code 0x07"),
        (GOOD + b"\x00\x00", r"2 bytes of trailing garbage.*needs 6 bytes.*found 8"),
        (gzip.compress(GOOD)[:-6], "corrupt gzip stream"),
        (b"\x1f\x8b" + b"\x00" * 30, "corrupt gzip stream"),
        (gzip.compress(GOOD + b"!"), "trailing garbage"),
    ],
    ids=[
        "empty",
        "short-header",
        "short-dims",
        "short-data",
        "short-data-float",
        "bad-magic",
        "zip-magic",
        "dtype-0x0A",
        "dtype-0x07",
        "trailing",
        "truncated-gzip",
        "garbage-gzip",
        "trailing-in-gzip",
    ],
)
def test_malformed_idx_is_rejected_with_named_file(
    tmp_path: Path, data: bytes, pattern: str
) -> None:
    path = tmp_path / "broken-file.idx"
    path.write_bytes(data)
    with pytest.raises(IDXFormatError, match=pattern) as info:
        read_idx(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_corrupt_gzip_crc_is_rejected() -> None:
    blob = bytearray(gzip.compress(GOOD))
    blob[-5] ^= 0xFF  # damage the stored CRC32
    with pytest.raises(IDXFormatError, match="mem.idx: corrupt gzip stream"):
        parse_idx(bytes(blob), source="mem.idx")


def test_parse_idx_accepts_good_bytes() -> None:
    assert parse_idx(GOOD).tolist() == [[0, 1, 2], [3, 4, 5]]


# ------------------------------------------------------------ MNIST from root


def _copy_bundled_test_split(root: Path) -> None:
    for name in TEST_FILES:
        shutil.copy(_bundled(name), root / name)


def test_root_mode_loads_official_test_files(tmp_path: Path) -> None:
    _copy_bundled_test_split(tmp_path)
    x, y = load_mnist(tmp_path, split="test")
    x0, y0 = load_mnist(split="test")
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_root_mode_accepts_ungzipped_files(tmp_path: Path) -> None:
    for name in TEST_FILES:
        raw = gzip.decompress(_bundled(name).read_bytes())
        (tmp_path / name.removesuffix(".gz")).write_bytes(raw)
    x, y = load_mnist(str(tmp_path), split="test", normalize=False)
    assert x.shape == (10000, 784) and x.dtype == np.uint8
    assert y.shape == (10000,)


def test_root_mode_wrong_md5(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, TRAIN_FILES, 20)
    with pytest.raises(ChecksumError) as info:
        load_mnist(tmp_path, split="train")
    msg = str(info.value)
    assert str(tmp_path / TRAIN_FILES[0]) in msg
    assert MNIST_MD5[TRAIN_FILES[0]] in msg
    assert _md5(tmp_path / TRAIN_FILES[0]) in msg
    assert "download_mnist" in msg and "force=True" in msg


def test_root_mode_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, split="train")
    msg = str(info.value)
    assert all(name in msg for name in TRAIN_FILES)
    assert "download_mnist" in msg and str(tmp_path) in msg
    shutil.copy(_bundled(TEST_FILES[0]), tmp_path / TEST_FILES[0])
    with pytest.raises(FileNotFoundError, match=TEST_FILES[1]) as info:
        load_mnist(tmp_path, split="test")
    assert TEST_FILES[0] not in str(info.value)


def test_root_mode_with_checksum_override(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, TRAIN_FILES, 30)
    x, y = load_mnist(tmp_path, checksums=_checksums(tmp_path, TRAIN_FILES))
    assert x.shape == (30, 784) and y.tolist() == [i % 10 for i in range(30)]


def test_root_mode_count_mismatch(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, TRAIN_FILES, 30)
    write_idx(tmp_path / TRAIN_FILES[1], np.zeros(29, dtype=np.uint8))
    with pytest.raises(ValueError, match="30 images .* but 29 labels"):
        load_mnist(tmp_path, checksums=_checksums(tmp_path, TRAIN_FILES))


def test_root_mode_wrong_image_shape(tmp_path: Path) -> None:
    write_idx(tmp_path / TRAIN_FILES[0], np.zeros((3, 28, 27), dtype=np.uint8))
    write_idx(tmp_path / TRAIN_FILES[1], np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28\)"):
        load_mnist(tmp_path, checksums={})


# -------------------------------------------------------------------- batches


def test_batches_cover_every_sample_once() -> None:
    x, y = np.arange(23 * 2).reshape(23, 2), np.arange(23)
    got = list(batches(x, y, 5, seed=3))
    assert [len(yb) for _, yb in got] == [5, 5, 5, 5, 3]
    order = np.concatenate([yb for _, yb in got])
    assert sorted(order.tolist()) == list(range(23))
    assert order.tolist() != list(range(23))
    for xb, yb in got:
        np.testing.assert_array_equal(xb, x[yb])


def test_batches_deterministic_for_seed() -> None:
    x, y = np.zeros((50, 1)), np.arange(50)

    def run(seed: int) -> list[list[int]]:
        return [yb.tolist() for _, yb in batches(x, y, 8, seed=seed)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_batches_without_shuffle_and_drop_last() -> None:
    x, y = np.arange(10), np.arange(10) * 2
    got = [(xb.tolist(), yb.tolist()) for xb, yb in batches(x, y, 4, shuffle=False)]
    assert got == [
        ([0, 1, 2, 3], [0, 2, 4, 6]),
        ([4, 5, 6, 7], [8, 10, 12, 14]),
        ([8, 9], [16, 18]),
    ]
    assert [len(b) for b, _ in batches(x, y, 4, seed=0, drop_last=True)] == [4, 4]
    assert list(batches(x[:0], y[:0], 4)) == []


def test_batches_accepts_generator_seed() -> None:
    x = np.arange(12)
    a = [b.tolist() for b, _ in batches(x, x, 4, seed=np.random.default_rng(5))]
    b = [b.tolist() for b, _ in batches(x, x, 4, seed=5)]
    assert a == b


@pytest.mark.parametrize(
    ("batch_size", "error"),
    [
        (0, ValueError),
        (-3, ValueError),
        (2.0, TypeError),
        (True, TypeError),
        ("4", TypeError),
    ],
)
def test_batches_rejects_bad_batch_size(
    batch_size: Any, error: type[Exception]
) -> None:
    x = np.arange(4)
    with pytest.raises(error, match="batch_size must be a positive int"):
        batches(x, x, batch_size)  # raised at call time, before iteration
    with pytest.raises(error, match="batch_size"):
        BatchIterator(x, x, batch_size)


def test_batches_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="same number of samples.*got 5 and 4"):
        batches(np.zeros((5, 2)), np.zeros(4), 2)
    with pytest.raises(ValueError, match="leading sample axis"):
        batches(np.float64(1.0), np.zeros(1), 1)


def test_batch_iterator_reshuffles_each_epoch_deterministically() -> None:
    x, y = np.zeros((20, 3)), np.arange(20)

    def epochs(it: BatchIterator, n: int) -> list[list[int]]:
        return [np.concatenate([yb for _, yb in it]).tolist() for _ in range(n)]

    it = BatchIterator(x, y, 6, seed=11)
    assert len(it) == 4
    first = epochs(it, 3)
    assert it.epoch == 3
    assert all(sorted(e) == list(range(20)) for e in first)
    assert first[0] != first[1] != first[2]
    assert epochs(BatchIterator(x, y, 6, seed=11), 3) == first
    assert len(BatchIterator(x, y, 6, drop_last=True)) == 3
    plain = BatchIterator(x, y, 6, shuffle=False)
    assert epochs(plain, 2) == [list(range(20))] * 2


# ------------------------------------------------------------------- download


@pytest.fixture
def fake_server(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A directory of fake MNIST files, as a file:// URL and md5 table."""
    src = tmp_path / "server"
    src.mkdir()
    _fake_mnist(src, TRAIN_FILES, 12, seed=1)
    _fake_mnist(src, TEST_FILES, 8, seed=2)
    return src.as_uri() + "/", _checksums(src, TRAIN_FILES + TEST_FILES)


def test_download_via_file_url(
    tmp_path: Path, fake_server: tuple[str, dict[str, str]]
) -> None:
    url, table = fake_server
    root = tmp_path / "new" / "mnist"
    assert download_mnist(root, base_url=url, checksums=table, progress=False) == root
    assert sorted(p.name for p in root.iterdir()) == sorted(table)
    assert all(_md5(root / name) == md5 for name, md5 in table.items())
    x, y = load_mnist(root, split="test", checksums=table)
    assert x.shape == (8, 784) and y.shape == (8,)


def test_download_keeps_good_files_and_force_refetches(
    tmp_path: Path, fake_server: tuple[str, dict[str, str]]
) -> None:
    url, table = fake_server
    root = tmp_path / "mnist"
    download_mnist(root, base_url=url.rstrip("/"), checksums=table, progress=False)
    src = Path(url.removeprefix("file://"))
    (src / TEST_FILES[1]).write_bytes(b"changed upstream")
    download_mnist(root, base_url=url, checksums=table, progress=False)  # no fetch
    before = (root / TEST_FILES[1]).read_bytes()
    with pytest.raises(ChecksumError, match="md5 mismatch") as info:
        download_mnist(root, base_url=url, checksums=table, progress=False, force=True)
    assert table[TEST_FILES[1]] in str(info.value)
    assert (root / TEST_FILES[1]).read_bytes() == before  # old file left intact
    assert not [p for p in root.iterdir() if p.name.endswith(".part")]


def test_download_wrong_md5_writes_nothing(
    tmp_path: Path, fake_server: tuple[str, dict[str, str]]
) -> None:
    url, _ = fake_server
    root = tmp_path / "mnist"
    with pytest.raises(ChecksumError, match="expected 0{32}"):
        download_mnist(
            root, base_url=url, checksums={TEST_FILES[0]: "0" * 32}, progress=False
        )
    assert list(root.iterdir()) == []


def test_download_progress_bar(
    tmp_path: Path,
    fake_server: tuple[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, table = fake_server
    download_mnist(tmp_path / "a", base_url=url, checksums=table)  # tqdm if present
    monkeypatch.setitem(sys.modules, "tqdm", None)  # force the stderr fallback
    download_mnist(tmp_path / "b", base_url=url, checksums=table)
    assert "100%" in capsys.readouterr().err


def test_download_missing_remote_file(
    tmp_path: Path, fake_server: tuple[str, dict[str, str]]
) -> None:
    url, _ = fake_server
    with pytest.raises(ConnectionError, match="could not download"):
        download_mnist(
            tmp_path / "m",
            base_url=url,
            checksums={"nope.gz": "0" * 32},
            progress=False,
        )


def test_download_offline_raises_connection_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = tmp_path / "mnist"
    with pytest.raises(ConnectionError) as info:
        download_mnist(
            root, base_url=f"http://127.0.0.1:{port}/", progress=False, timeout=5
        )
    msg = str(info.value)
    assert "offline" in msg and str(root) in msg and "train-images-idx3-ubyte.gz" in msg
    assert list(root.iterdir()) == []
