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



def test_explains_why_train_loss_is_above_test_loss(example: ModuleType,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from dualad import nn

    example.main(["--epochs", "1", "--hidden", "16", "--no-progress"])
    out = capsys.readouterr().out.splitlines()
    why = [line for line in out if line.startswith("why train loss > test loss")]
    assert len(why) == 1 and "label-smoothed 0.1 (floor 0.50" in why[0] and "1 px" in why[0]
    assert out.index(why[0]) < next(i for i, line in enumerate(out) if line.startswith("epoch"))
    # the floor is the smoothed loss of the best possible prediction: the smoothed target itself
    target = np.full((1, 10), 0.01)
    target[0, 3] = 0.91
    best = float(nn.CrossEntropyLoss(label_smoothing=0.1)(np.log(target), np.array([3])).item())
    assert abs(best - example.smoothed_floor(0.1)) < 1e-12
    assert abs(example.smoothed_floor(0.1) - 0.5003) < 1e-4
    # without smoothing, shift or dropout the note only mentions the epoch average
    plain = example.loss_note(example.parse_args(["--label-smoothing", "0", "--shift", "0"]))
    assert "smoothed" not in plain.line and "averaged over the epoch" in plain.line
    assert plain.floor is None and plain.title == "loss"
