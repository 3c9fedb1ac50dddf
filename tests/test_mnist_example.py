"""The main job, examples/mnist_mlp.py, on a short run: it learns, is deterministic, plots.

Accuracy bounds are loose on purpose (one short epoch; chance is 10%); no timing here."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from unittest import mock

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_mlp.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mnist_mlp", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # the script imports mnist_common from its own folder and pins BLAS threads for itself only
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", [str(EXAMPLE.parent), *sys.path]):
        spec.loader.exec_module(module)
    return module


def test_one_epoch_learns_and_is_deterministic(example: ModuleType,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--epochs", "1", "--hidden", "64", "--no-progress", "--seed", "3"]
    first = example.main(args)
    second = example.main(args)
    out = capsys.readouterr().out
    assert "epoch  1/1" in out and "final: test accuracy" in out and "steps/s" in out
    assert first["test_acc"] > 0.7 and first["steps"] == 40
    assert first["history"] == second["history"]
    other = example.main(args[:-1] + ["4"])
    assert other["history"] != first["history"]


def test_plot_and_bad_flags(example: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "curves.png"
    example.main(["--epochs", "2", "--hidden", "32", "--no-progress", "--plot", str(png)])
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit):
        example.main(["--hidden", "12,abc"])

