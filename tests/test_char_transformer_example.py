"""examples/char_transformer.py on a few steps with tiny sizes: it learns, is deterministic,
samples from the model's alphabet, plots, and rejects bad flags. No timing here."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from unittest import mock

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "char_transformer.py"
TINY = ["--steps", "12", "--batch-size", "4", "--context", "12", "--d-model", "16", "--heads", "2",
        "--layers", "1", "--ff", "24", "--sample-length", "20", "--no-progress", "--lr", "1e-2"]


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("char_transformer", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ):  # the script pins BLAS threads for itself only
        spec.loader.exec_module(module)
    return module


def test_a_few_steps_learn_and_are_deterministic(example: ModuleType,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    first = example.main(TINY)
    second = example.main(TINY)
    out = capsys.readouterr().out
    assert "parameters" in out and "nats/char" in out and "sample:" in out
    losses = first["losses"]
    assert len(losses) == 12 and losses[-1] < losses[0]
    assert first["losses"] == second["losses"] and first["sample"] == second["sample"]
    text = EXAMPLE.parent.joinpath("data", "lighthouse.txt").read_text(encoding="utf-8")
    sample = first["sample"]
    assert sample.startswith("The keeper ") and len(sample) == len("The keeper ") + 20
    assert set(sample) <= set(text)
    other = example.main(TINY + ["--seed", "1"])
    assert other["losses"] != first["losses"]


def test_plot_and_bad_flags(example: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    example.main(TINY[:1] + ["3"] + TINY[2:] + ["--plot", str(png)])
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit):
        example.main(["--heads", "3", "--d-model", "16"])
    with pytest.raises(SystemExit):
        example.main(["--steps", "0"])
