"""Data files: malformed input is rejected with clear errors, and nothing is ever unpickled.

Complements tests/test_datasets.py (which covers every IDX header and gzip fault): here,
damaged bundled files, absurd declared sizes, pickles passed off as data, and a source scan
proving no code path in the package can unpickle.
"""

from __future__ import annotations

import ast
import gzip
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dualad
from dualad.datasets import ChecksumError, IDXFormatError, load_mnist, parse_idx, read_idx, write_idx
from dualad.datasets import mnist as mnist_module

ROOT = Path(dualad.__file__).parent.parent
SOURCES = sorted((ROOT / "dualad").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
UNPICKLERS = {"pickle", "cPickle", "_pickle", "dill", "shelve", "marshal", "joblib", "cloudpickle"}
NUMPY_LOADERS = {"load", "read_array"}  # np.load, np.lib.format.read_array


def _problems(path: Path) -> list[str]:
    """Ways this source file could unpickle: imports, allow_pickle=True, unguarded np.load."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "").split(".")[0]]
        else:
            names = []
        found += [f"{path}:{node.lineno}: imports {n}" for n in names if n in UNPICKLERS]
        if isinstance(node, ast.Call):
            kw = {k.arg: k.value for k in node.keywords}
            flag = kw.get("allow_pickle")
            if isinstance(flag, ast.Constant) and flag.value is True:
                found.append(f"{path}:{node.lineno}: allow_pickle=True")
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in NUMPY_LOADERS:
                if not (isinstance(flag, ast.Constant) and flag.value is False):
                    found.append(f"{path}:{node.lineno}: {func.attr}() without allow_pickle=False")
    return found


def test_no_code_path_can_unpickle() -> None:
    assert len(SOURCES) > 20
    problems = [p for path in SOURCES for p in _problems(path)]
    assert not problems, "\n".join(problems)


def test_the_source_scan_catches_unpickling(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nimport numpy as np\nnp.load('x.npy')\n"
                   "np.load('y.npy', allow_pickle=True)\nnp.load('z.npz', allow_pickle=False)\n")
    assert [p.split(": ", 1)[1] for p in _problems(bad)] == [
        "imports pickle", "load() without allow_pickle=False", "allow_pickle=True",
        "load() without allow_pickle=False"]


class _Exploit:
    """Unpickling this would call ``_triggered.append``: the test proves it never happens."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_triggered.append, ("code ran",))


_triggered: list[str] = []


@pytest.mark.parametrize("compress", [False, True])
def test_a_pickle_posing_as_idx_is_rejected_without_running(tmp_path: Path, compress: bool) -> None:
    payload = pickle.dumps(_Exploit())
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(payload) if compress else payload)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(1, np.uint8))
    with pytest.raises(IDXFormatError, match="bad magic"):
        read_idx(path)
    with pytest.raises(IDXFormatError, match="bad magic"):
        load_mnist(tmp_path, checksums={})
    assert _triggered == []


def test_damaged_bundled_file_says_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = dict(mnist_module.BUNDLED_MD5, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setattr(mnist_module, "BUNDLED_MD5", wrong)
    with pytest.raises(ChecksumError, match=r"t10k-labels-idx1-ubyte.gz: md5 mismatch.*reinstall"):
        load_mnist(split="test")


def test_huge_declared_shape_fails_fast_without_allocating() -> None:
    header = struct.pack(">BBBB3I", 0, 0, 0x0E, 3, 2**32 - 1, 2**32 - 1, 2**32 - 1)
    with pytest.raises(IDXFormatError, match=r"truncated data: shape \(4294967295, .* found 8"):
        parse_idx(header + bytes(8), source="huge.idx")


def test_truncated_gzip_in_a_dataset_directory(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    blob = (tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(IDXFormatError, match=r"t10k-images-idx3-ubyte.gz: corrupt gzip stream"):
        load_mnist(tmp_path, split="test", checksums={})
    with pytest.raises(ChecksumError, match="md5 mismatch.*download_mnist"):
        load_mnist(tmp_path, split="test")  # with the official table: caught even earlier


def test_labels_outside_0_to_9_are_rejected(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 12], np.uint8))
    with pytest.raises(ValueError, match="labels must be digits 0-9, found 12"):
        load_mnist(tmp_path, split="test", checksums={})


def test_loaded_arrays_are_plain_numeric_arrays() -> None:
    x, y = load_mnist(split="test", normalize=False)
    assert x.dtype == np.uint8 and y.dtype == np.int64
    assert type(x) is np.ndarray and type(y) is np.ndarray and x.flags.writeable
