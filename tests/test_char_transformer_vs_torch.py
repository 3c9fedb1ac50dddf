"""The character-level Transformer of examples/char_transformer.py computes what the same
network in torch.nn computes: the check that examples/benchmarks/char_transformer_step.py runs
before it times anything (float64 gradients of every parameter; float32 losses of two
training steps with clipping and AdamW). No timing here."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType
from unittest import mock

import numpy as np
import pytest

torch = pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[1] / "examples" / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("char_transformer_step",
                                                  BENCH / "char_transformer_step.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ), mock.patch("sys.argv", ["char_transformer_step.py"]):
        spec.loader.exec_module(module)  # (it pins BLAS threads for itself only)
    module.peers = lambda: {"torch": torch}  # not _common.peers: no global JAX/torch settings
    return module


def test_same_gradients_and_training_steps_as_pytorch(bench: ModuleType) -> None:
    vocab, data = bench.corpus()
    assert vocab == 40
    bench.check(vocab, data)  # raises on any difference


def test_the_check_catches_a_different_network(bench: ModuleType) -> None:
    vocab, data = bench.corpus()
    build = bench.torch_model

    def exact_gelu(model: object) -> object:  # PyTorch's erf GELU instead of the tanh one
        theirs = build(model)
        for block in theirs.blocks:
            block.activation = torch.nn.GELU()
        return theirs

    with mock.patch.object(bench, "torch_model", exact_gelu), pytest.raises(AssertionError):
        bench.check(vocab, data)


def test_the_batch_is_next_characters(bench: ModuleType) -> None:
    _, data = bench.corpus()
    x, y = bench.window_batch(data, 4)
    assert x.shape == y.shape == (4, bench.CONTEXT)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
