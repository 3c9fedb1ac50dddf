"""The issue-18 layers without PyTorch: shapes and dtypes, derivatives against finite
differences (``dualad.gradcheck``: forward and reverse mode, first and second order), dropout
in training and eval mode, the errors for bad arguments, pickling, and ``nn.utils``."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad
from dualad import nn, ops
from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad.nn import functional as F
from dualad.nn.attention import scaled_dot_product_attention


def _normal(*shape: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- shapes, float32

LAYERS: list[tuple[Callable[[], nn.Module], tuple[int, ...], tuple[int, ...]]] = [
    (lambda: nn.LayerNorm((3, 4)), (2, 3, 4), (2, 3, 4)),
    (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3), (2, 4, 3, 3)),
    (lambda: nn.SiLU(), (5,), (5,)),
    (lambda: nn.LeakyReLU(0.1), (5,), (5,)),
    (lambda: nn.Softplus(2.0, 5.0), (5,), (5,)),
    (lambda: nn.ELU(0.5), (5,), (5,)),
    (lambda: nn.Mish(), (5,), (5,)),
    (lambda: nn.Conv1d(2, 4, 3, stride=2, padding=1, rng=_rng()), (3, 2, 9), (3, 4, 5)),
    (lambda: nn.Conv1d(4, 4, 3, dilation=2, groups=2, rng=_rng()), (4, 9), (4, 5)),
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, rng=_rng()),
     (2, 2, 4, 5), (2, 3, 8, 10)),
    (lambda: nn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5), (2, 3, 3, 5)),
    (lambda: nn.AdaptiveAvgPool2d(2), (3, 5, 5), (3, 2, 2)),
    (lambda: nn.Dropout1d(0.5, rng=0), (2, 3, 4), (2, 3, 4)),
    (lambda: nn.Dropout2d(0.5, rng=0), (2, 3, 4, 4), (2, 3, 4, 4)),
    (lambda: nn.TransformerEncoderLayer(8, 2, 16, rng=_rng()), (5, 2, 8), (5, 2, 8)),
    (lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True, rng=_rng()),
     (2, 5, 8), (2, 5, 8)),
]


@pytest.mark.parametrize("make, shape, out_shape", LAYERS)
def test_shapes_and_float32(make: Callable[[], nn.Module], shape: tuple[int, ...],
                            out_shape: tuple[int, ...]) -> None:
    layer = make()
    x = dualad.Tensor(_normal(*shape).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert y.shape == out_shape and y.dtype == np.float32
    ops.sum(ops.mul(y, y)).backward()
    assert x.grad.dtype == np.float32
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32 and p.grad is not None and p.grad.dtype == np.float32, name


def test_multihead_attention_shapes() -> None:
    mha = nn.MultiheadAttention(8, 4, rng=_rng())
    q, kv = np.zeros((3, 2, 8), np.float32), np.zeros((5, 2, 8), np.float32)
    out, w = mha(q, kv, kv)
    assert out.shape == (3, 2, 8) and w.shape == (2, 3, 5) and out.dtype == np.float32
    out, w = mha(q, kv, kv, average_attn_weights=False)
    assert w.shape == (2, 4, 3, 5)
    out, w = mha(q[:, 0], kv[:, 0], kv[:, 0])
    assert out.shape == (3, 8) and w.shape == (3, 5)
    assert mha(q, kv, kv, need_weights=False)[1] is None
    weights = mha(q, kv, kv)[1].detach().numpy()
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)


def test_attention_masks_exclude_keys() -> None:
    mha = nn.MultiheadAttention(4, 2, batch_first=True, rng=_rng())
    x = _normal(2, 5, 4).astype(np.float32)
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, 3:] = True
    _, w = mha(x, x, x, key_padding_mask=pad, is_causal=True)
    w = w.detach().numpy()
    assert np.all(w[0, :, 3:] == 0) and np.all(np.triu(w[1], 1) == 0)
    # a padded key's value cannot change the outputs of the others
    x2 = x.copy()
    x2[0, 4] += 10.0
    out1 = mha(x, x, x, key_padding_mask=pad)[0].detach().numpy()[0, :3]
    out2 = mha(x2, x2, x2, key_padding_mask=pad)[0].detach().numpy()[0, :3]
    np.testing.assert_allclose(out1, out2, rtol=1e-6)


# ----------------------------------------------------------------------------- derivatives


def _away_from(x: np.ndarray, kinks: list[float], gap: float = 0.05) -> np.ndarray:
    for k in kinks:
        x = np.where(np.abs(x - k) < gap, k + 2 * gap, x)
    return x


FUNCTIONS: list[tuple[str, Callable[..., Any], list[np.ndarray]]] = [
    ("silu", F.silu, [_normal(6) * 3]),
    ("mish", F.mish, [_normal(6) * 3]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), [_away_from(_normal(6), [0.0])]),
    ("elu", lambda x: F.elu(x, 0.7), [_away_from(_normal(6), [0.0])]),
    ("softplus", lambda x: F.softplus(x, 2.0, 1.0), [_away_from(_normal(6), [0.5])]),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (3,), w, b), [_normal(2, 3), _normal(3, seed=2),
                                                                 _normal(3, seed=3)]),
    ("group_norm", lambda x, w: F.group_norm(x, 2, w), [_normal(2, 4, 3), _normal(4, seed=2)]),
    ("conv1d", lambda x, w: F.conv1d(x, w, None, 2, 1), [_normal(2, 2, 6), _normal(3, 2, 3, seed=2)]),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
     [_normal(1, 2, 3, 3), _normal(2, 3, 3, 3, seed=2), _normal(3, seed=3)]),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [_normal(1, 2, 5, 4)]),
    ("l1_loss", lambda x, y: F.l1_loss(x, y), [_normal(5), _normal(5, seed=2)]),
    ("huber_loss", lambda x, y: F.huber_loss(x, y, delta=0.7), [_normal(5), _normal(5, seed=2)]),
    ("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, "sum", 0.5), [_normal(5), _normal(5, seed=2)]),
    ("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x, y),
     [np.random.default_rng(0).uniform(0.1, 0.9, 5), np.random.default_rng(1).uniform(0, 1, 5)]),
    ("kl_div", lambda x, y: F.kl_div(x, y, "batchmean"),
     [np.log(_rng(0).dirichlet(np.ones(4), 2)), _rng(1).dirichlet(np.ones(4), 2)]),
    ("kl_div_log_target", lambda x, y: F.kl_div(x, y, "sum", log_target=True),
     [_normal(2, 3), _normal(2, 3)]),
    ("attention", lambda q, k, v: scaled_dot_product_attention(q, k, v, np.tril(np.ones((3, 4), bool))),
     [_normal(2, 3, 2), _normal(2, 4, 2, seed=2), _normal(2, 4, 2, seed=3)]),
]


@pytest.mark.parametrize("name, f, args", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_gradcheck_first_and_second_order(name: str, f: Callable[..., Any], args: list[np.ndarray]) -> None:
    result = dualad.gradcheck(f, *args, order=2)
    assert result.passed, name


def test_gradcheck_of_the_modules_by_functional_call() -> None:
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", dtype=np.float64, rng=_rng())
    mha = nn.MultiheadAttention(4, 2, dtype=np.float64, rng=_rng(1))
    params = {k: v.detach().numpy().copy() for k, v in layer.named_parameters()}
    mask = np.triu(np.ones((3, 3), dtype=bool), 1)
    x = _normal(3, 2, 4)
    assert dualad.gradcheck(lambda p, v: nn.functional_call(layer, p, v, src_mask=mask), params, x).passed
    assert dualad.gradcheck(lambda q, kv: mha(q, kv, kv)[0], x, _normal(5, 2, 4, seed=2)).passed


def test_kinks_take_pytorchs_side() -> None:
    g = dualad.grad(lambda x: ops.sum(F.leaky_relu(x, 0.25)))(np.array([0.0]))
    assert g.tolist() == [0.25]
    g = dualad.grad(lambda x: ops.sum(F.elu(x, 0.5)))(np.array([0.0]))
    assert g.tolist() == [0.5]
    g = dualad.grad(lambda x: ops.sum(F.softplus(x, 1.0, 2.0)))(np.array([2.0]))
    assert g.tolist() == pytest.approx([1 / (1 + np.exp(-2.0))])  # at the threshold: softplus side
    g = dualad.grad(lambda x: F.l1_loss(x, np.zeros(1)))(np.array([0.0]))
    assert g.tolist() == [0.0]


def test_no_nan_from_the_branch_not_taken() -> None:
    x = np.array([-1000.0, 1000.0, 0.0])
    for f in (F.elu, F.mish, F.softplus, F.silu):
        g = np.asarray(dualad.grad(lambda v, f=f: ops.sum(f(v)))(x))
        assert np.all(np.isfinite(g)), f.__name__
    g = dualad.grad(lambda v: F.binary_cross_entropy(v, np.array([1.0, 0.0])))(np.array([0.0, 1.0]))
    assert np.all(np.isfinite(g))


# ----------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("layer, shape, lead", [
    (nn.Dropout1d, (8, 16, 5), 2), (nn.Dropout1d, (16, 5), 1),
    (nn.Dropout2d, (8, 16, 3, 3), 2), (nn.Dropout2d, (8, 16, 5), 2),  # 3-D: (N, C, L), as PyTorch
])
def test_channel_dropout_zeroes_whole_channels(layer: Any, shape: tuple[int, ...], lead: int) -> None:
    drop = layer(0.4, rng=3)
    y = np.asarray(drop(np.ones(shape)))
    per_channel = y.reshape(shape[:lead] + (-1,))
    assert np.all(per_channel.min(-1) == per_channel.max(-1))   # kept or dropped whole
    assert set(np.unique(y)) <= {0.0, 1 / 0.6}
    assert 0.2 < np.mean(y == 0) < 0.6
    assert np.array_equal(np.asarray(drop.eval()(np.ones(shape))), np.ones(shape))


def test_channel_dropout_gradient_matches_its_mask() -> None:
    drop = nn.Dropout2d(0.5, rng=0)
    x = dualad.Tensor(np.ones((4, 6, 2, 2)), requires_grad=True)
    y = drop(x)
    ops.sum(y).backward()
    np.testing.assert_array_equal(x.grad, y.detach().numpy())


def test_channel_dropout_edges() -> None:
    x = np.ones((2, 3, 4))
    assert np.all(np.asarray(nn.Dropout1d(1.0)(x)) == 0)
    assert nn.Dropout1d(0.0)(x) is x
    with pytest.raises(ShapeError, match="Dropout1d"):
        nn.Dropout1d()(np.ones((2, 3, 4, 5)))
    with pytest.raises(ShapeError, match="Dropout2d"):
        nn.Dropout2d().eval()(np.ones((2, 3)))
    with pytest.raises(ShapeError, match="dropout2d"):
        F.dropout2d(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Dropout2d: p"):
        nn.Dropout2d(1.5)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("build, match", [
    (lambda: nn.LayerNorm(0), "LayerNorm"),
    (lambda: nn.GroupNorm(3, 4), "GroupNorm"),
    (lambda: nn.Softplus(beta=0.0), "Softplus"),
    (lambda: nn.Conv1d(3, 4, 3, groups=2), "Conv1d"),
    (lambda: nn.Conv1d(2, 4, (3, 3)), "Conv1d"),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2), "ConvTranspose2d"),
    (lambda: nn.AdaptiveAvgPool2d((2, 0)), "AdaptiveAvgPool2d"),
    (lambda: nn.MultiheadAttention(6, 4), "MultiheadAttention"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation="tanh"), "TransformerEncoderLayer"),
    (lambda: nn.HuberLoss(reduction="avg"), "HuberLoss"),
    (lambda: nn.HuberLoss(delta=0.0), "HuberLoss"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), "SmoothL1Loss"),
    (lambda: nn.KLDivLoss(reduction="batch"), "KLDivLoss"),
    (lambda: nn.BCELoss(reduction="max"), "BCELoss"),
])
def test_bad_arguments_name_the_layer(build: Callable[[], Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("call, match", [
    (lambda: nn.LayerNorm(4)(np.ones((2, 3))), "LayerNorm"),
    (lambda: nn.GroupNorm(2, 4)(np.ones((2, 6, 3))), "GroupNorm"),
    (lambda: nn.Conv1d(2, 4, 3)(np.ones((1, 3, 8))), "Conv1d"),
    (lambda: nn.ConvTranspose2d(2, 4, 3)(np.ones((1, 3, 8, 8))), "ConvTranspose2d"),
    (lambda: nn.MultiheadAttention(4, 2)(np.ones((3, 2, 5)), np.ones((3, 2, 5)), np.ones((3, 2, 5))),
     "MultiheadAttention"),
    (lambda: nn.MultiheadAttention(4, 2)(np.ones((3, 2, 4)), np.ones((3, 2, 4)), np.ones((3, 2, 4)),
                                         attn_mask=np.ones((2, 2), dtype=bool)), "attn_mask"),
    (lambda: nn.MultiheadAttention(4, 2)(np.ones((3, 2, 4)), np.ones((3, 2, 4)), np.ones((3, 2, 4)),
                                         key_padding_mask=np.ones((3, 2), dtype=bool)), "key_padding_mask"),
    (lambda: nn.L1Loss()(np.ones(3), np.ones(4)), "l1_loss"),
])
def test_bad_inputs_name_the_layer(call: Callable[[], Any], match: str) -> None:
    with pytest.raises(ShapeError, match=match):
        call()


def test_loss_value_errors() -> None:
    with pytest.raises(ValueError, match="binary_cross_entropy: input must be probabilities"):
        nn.BCELoss()(np.array([1.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        scaled_dot_product_attention(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)),
                                     attn_mask=np.ones((2, 2), bool), is_causal=True)


def test_kl_div_refuses_a_derivative_at_zero_targets() -> None:
    x, y = np.log(np.full(3, 1 / 3)), np.array([0.0, 0.5, 0.5])
    assert np.isfinite(float(F.kl_div(x, y, "sum")))
    assert np.isfinite(dualad.grad(lambda v: F.kl_div(v, y, "sum"))(x)).all()  # target constant: fine
    with pytest.raises(NonDifferentiableError, match="kl_div"):
        dualad.grad(lambda t: F.kl_div(x, t, "sum"))(y)


def test_kl_div_batchmean_is_the_divergence_per_sample() -> None:
    p, q = np.array([[0.1, 0.9], [0.5, 0.5]]), np.array([[0.3, 0.7], [0.2, 0.8]])
    expected = np.sum(p * np.log(p / q)) / 2
    assert float(nn.KLDivLoss(reduction="batchmean")(np.log(q), p)) == pytest.approx(expected)


# ----------------------------------------------------------------------------- pickling


def test_transformer_encoder_layer_pickles() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.2, activation="gelu", norm_first=True,
                                       rng=_rng(), dtype=np.float64)
    layer.eval()
    copy = pickle.loads(pickle.dumps(layer))
    x, mask = _normal(4, 3, 8), np.triu(np.ones((4, 4), dtype=bool), 1)
    ours, theirs = copy(x, src_mask=mask), layer(x, src_mask=mask)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert copy.state_dict().keys() == layer.state_dict().keys()
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(copy.state_dict()[k], v)
    copy.train()
    ops.sum(copy(x)).backward()
    assert all(p.grad is not None for p in copy.parameters())
    assert all(p.grad is None for p in layer.parameters())


# ----------------------------------------------------------------------------- nn.utils


def test_clip_grad_norm_edges() -> None:
    w = nn.Parameter(np.array([3.0, 4.0]))
    assert float(nn.utils.clip_grad_norm_([w], 1.0)) == 0.0  # no gradients yet
    w.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm_(w, 1.0, error_if_nonfinite=True)
    w.grad = np.array([3.0, 4.0], dtype=np.float32)
    assert float(nn.utils.clip_grad_norm_(w, 100.0)) == 5.0
    np.testing.assert_allclose(w.grad, [3.0, 4.0], rtol=1e-6)   # below max_norm: unchanged
    assert w.grad.dtype == np.float32


def test_vector_to_parameters_checks_the_length() -> None:
    layer = nn.Linear(2, 2)
    with pytest.raises(ShapeError, match="vector_to_parameters"):
        nn.utils.vector_to_parameters(np.zeros(5), layer.parameters())


def test_parameters_to_vector_is_differentiable() -> None:
    layer = nn.Linear(2, 3, dtype=np.float64)
    vec = nn.utils.parameters_to_vector(layer.parameters())
    ops.sum(ops.mul(vec, vec)).backward()
    np.testing.assert_allclose(layer.weight.grad, 2 * layer.weight.data)
    np.testing.assert_allclose(layer.bias.grad, 2 * layer.bias.data)


# ----------------------------------------------------------------------------- vmap


def _mha_call() -> Callable[[Any], Any]:
    mha = nn.MultiheadAttention(4, 2, dtype=np.float64, rng=_rng())
    params = {k: v.detach().numpy() for k, v in mha.named_parameters()}
    pad = np.array([False, True])
    return lambda x: nn.functional_call(mha, params, x, x, x, key_padding_mask=pad, need_weights=False)[0]


VMAPPED: list[tuple[str, Callable[[Any], Any]]] = [
    ("activations", lambda x: F.mish(F.elu(F.softplus(F.leaky_relu(F.silu(x)), 2.0, 1.0)))),
    ("norms", lambda x: F.group_norm(F.layer_norm(x, 4), 2)),
    ("regression_losses", lambda x: ops.add(F.huber_loss(x, np.zeros((2, 4))),
                                            F.smooth_l1_loss(x, np.ones((2, 4))))),
    ("bce_input_and_target", lambda x: F.binary_cross_entropy(ops.sigmoid(x), ops.sigmoid(ops.neg(x)))),
    ("kl_div_target", lambda x: F.kl_div(np.full((2, 4), -1.0), ops.exp(x), "batchmean")),
    ("pool_and_convs", lambda x: F.conv_transpose2d(F.adaptive_avg_pool2d(ops.reshape(x, (2, 2, 2)), 3),
                                                    np.ones((2, 1, 2, 2)), stride=2)),
    ("conv1d", lambda x: F.conv1d(x, _normal(3, 2, 2))),
    ("masked_attention", lambda x: scaled_dot_product_attention(x, x, x, np.tril(np.ones((2, 2), bool)))),
    ("multihead_attention", _mha_call()),
]


@pytest.mark.parametrize("name, f", VMAPPED, ids=[v[0] for v in VMAPPED])
def test_vmap_equals_stacking(name: str, f: Callable[[Any], Any]) -> None:
    xs = _normal(3, 2, 4)
    np.testing.assert_allclose(dualad.vmap(f)(xs), np.stack([f(x) for x in xs]), rtol=1e-12, atol=1e-12)
    per_example = dualad.vmap(dualad.grad(lambda x: ops.sum(f(x))))(xs)
    looped = np.stack([dualad.grad(lambda x: ops.sum(f(x)))(x) for x in xs])
    np.testing.assert_allclose(per_example, looped, rtol=1e-12, atol=1e-12)


def test_is_causal_is_the_upper_triangular_mask() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=np.float64, rng=_rng())
    x = _normal(5, 2, 8)
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    np.testing.assert_array_equal(layer(x, is_causal=True).detach().numpy(),
                                  layer(x, src_mask=causal).detach().numpy())
    assert not np.allclose(layer(x).detach().numpy(), layer(x, src_mask=causal).detach().numpy())


def test_multihead_attention_options_compose_with_the_transforms() -> None:
    """kdim/vdim, add_bias_kv and add_zero_attn under jacfwd = jacrev (forward and reverse
    rules agree), grad through functional_call, and vmap over an extra batch axis = a loop."""
    mha = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True,
                                batch_first=True, dtype=np.float64, rng=_rng(2))
    rng = _rng(3)
    q, k, v = rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 5))
    mask = np.array([[False, False, True]])

    params = {name: np.array(p.data) for name, p in mha.named_parameters()}
    assert {"bias_k", "bias_v", "q_proj_weight", "k_proj_weight", "v_proj_weight"} <= set(params)

    def out(q: Any, k: Any, v: Any) -> Any:  # plain parameters: derivatives in the inputs
        return nn.functional_call(mha, params, q, k, v, key_padding_mask=mask)[0]

    for fwd, rev in zip(dualad.jacfwd(out, argnums=(0, 1, 2))(q, k, v),
                        dualad.jacrev(out, argnums=(0, 1, 2))(q, k, v)):
        np.testing.assert_allclose(fwd, rev, rtol=1e-10, atol=1e-12)
        assert np.abs(fwd).max() > 1e-3

    def loss(p: Any) -> Any:
        return ops.sum(nn.functional_call(mha, p, q, k, v, key_padding_mask=mask)[0] ** 2)

    dualad.gradcheck(lambda bk: loss({**params, "bias_k": bk}), params["bias_k"])
    qs, ks, vs = (rng.normal(size=(3,) + a.shape) for a in (q, k, v))
    batched = dualad.vmap(out)(qs, ks, vs)
    np.testing.assert_allclose(batched, np.stack([out(*t) for t in zip(qs, ks, vs)]), rtol=1e-12)
