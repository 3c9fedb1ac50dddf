"""Cross-check of the issue-18 layers and losses against PyTorch, in float64.

Each layer gets the same weights (dualad's state_dict loaded into the PyTorch layer: the
parameter names agree) and the same inputs and masks. For three SGD steps the outputs, the
input gradients and every parameter gradient must agree to 1e-10, and so must the
parameters after the steps. Skipped when PyTorch is not installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dualad
from dualad import nn, ops
from dualad.nn import functional as F
from dualad.optim import SGD

torch = pytest.importorskip("torch")
TOL = 1e-10


def _normal(*shape: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def _close(a: Any, b: Any, what: str) -> None:
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(np.asarray(a), b, rtol=TOL, atol=TOL, err_msg=what)


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _flat(o)]
    return [out]


def _torch_arg(v: Any) -> Any:
    return torch.tensor(v) if isinstance(v, np.ndarray) else v


def crosscheck(ours: nn.Module, theirs: Any, inputs: list[np.ndarray], kwargs: dict[str, Any] | None = None,
               grad_inputs: tuple[int, ...] = (0,), steps: int = 3, same_object: bool = False) -> None:
    """Outputs and gradients of both layers for ``steps`` SGD steps; then the parameters.

    ``same_object`` passes the first input as every argument (self-attention's ``x, x, x``).
    """
    kwargs = kwargs or {}
    state = {k: torch.tensor(v) for k, v in ours.state_dict().items()}
    theirs.double()
    theirs.load_state_dict(state, strict=True)
    params = list(ours.parameters())
    opt = SGD(params, lr=0.1) if params else None
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1) if params else None
    tkwargs = {k: _torch_arg(v) for k, v in kwargs.items()}
    for step in range(steps):
        xs = [dualad.Tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
        txs = [torch.tensor(x, requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
        if same_object:
            xs, txs = [xs[0]] * len(inputs), [txs[0]] * len(inputs)
        outs, touts = _flat(ours(*xs, **kwargs)), _flat(theirs(*txs, **tkwargs))
        assert [o is None for o in outs] == [t is None for t in touts]
        outs, touts = [o for o in outs if o is not None], [t for t in touts if t is not None]
        rng = np.random.default_rng(step)
        us = [rng.normal(size=o.shape) for o in outs]
        if opt is not None and topt is not None:
            opt.zero_grad()
            topt.zero_grad()
        sum((ops.sum(ops.mul(o, u)) for o, u in zip(outs, us)), start=0.0).backward()
        sum((t * torch.tensor(u)).sum() for t, u in zip(touts, us)).backward()
        for k, (o, t) in enumerate(zip(outs, touts)):
            _close(o.detach().numpy(), t, f"step {step}: output {k}")
        for i in grad_inputs:
            _close(xs[i].grad, txs[i].grad, f"step {step}: gradient of input {i}")
        tparams = dict(theirs.named_parameters())
        assert sorted(n for n, _ in ours.named_parameters()) == sorted(tparams)
        for name, p in ours.named_parameters():
            _close(p.grad, tparams[name].grad, f"step {step}: gradient of {name}")
        if opt is not None and topt is not None:
            opt.step()
            topt.step()
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.data, tparams[name], f"{name} after {steps} SGD steps")


def _perturb(module: nn.Module, seed: int = 7) -> nn.Module:
    """Non-trivial values for parameters that start at 0 or 1 (norm scales, attention biases)."""
    rng = np.random.default_rng(seed)
    for _, p in module.named_parameters():
        p.data[...] += 0.3 * rng.normal(size=p.shape)
    return module


# ----------------------------------------------------------------------------- activations


@pytest.mark.parametrize("ours, theirs", [
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Mish(), torch.nn.Mish()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(beta=2.0, threshold=3.0), torch.nn.Softplus(beta=2.0, threshold=3.0)),
    (nn.Softplus(beta=-1.5, threshold=1.0), torch.nn.Softplus(beta=-1.5, threshold=1.0)),
    (nn.ELU(), torch.nn.ELU()),
    (nn.ELU(alpha=0.4), torch.nn.ELU(alpha=0.4)),
], ids=lambda m: repr(m))
def test_activations(ours: nn.Module, theirs: Any) -> None:
    x = np.concatenate([_normal(40) * 4.0, [0.0, 1.5, -1.5, 40.0, -40.0, 800.0, -800.0]])
    crosscheck(ours, theirs, [x], steps=1)


@pytest.mark.parametrize("name, kw", [("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.7}),
                                      ("softplus", {"beta": 2.0, "threshold": 3.0})])
def test_derivatives_at_the_kink_follow_pytorch(name: str, kw: dict[str, Any]) -> None:
    kink = 1.5 if name == "softplus" else 0.0  # softplus switches at beta * x == threshold
    x = np.array([kink, -1.0, 2.0])
    ours = dualad.grad(lambda v: ops.sum(getattr(F, name)(v, **kw)))(x)
    t = torch.tensor(x, requires_grad=True)
    getattr(torch.nn.functional, name)(t, **kw).sum().backward()
    _close(ours, t.grad, name)


# ----------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("shape, kw", [
    (4, {}), ((3, 4), {}), ((3, 4), {"eps": 1e-2}), (4, {"elementwise_affine": False}),
    (4, {"bias": False}),
])
def test_layer_norm(shape: Any, kw: dict[str, Any]) -> None:
    ours = _perturb(nn.LayerNorm(shape, dtype=np.float64, **kw))
    crosscheck(ours, torch.nn.LayerNorm(shape, **kw), [_normal(2, 5, 3, 4) * 2.0 + 1.0])


@pytest.mark.parametrize("groups, channels, shape, kw", [
    (2, 4, (3, 4), {}), (2, 6, (3, 6, 5), {}), (3, 6, (2, 6, 4, 3), {"eps": 1e-3}),
    (1, 4, (2, 4, 3, 3), {}), (4, 4, (2, 4, 5), {"affine": False}),
])
def test_group_norm(groups: int, channels: int, shape: tuple[int, ...], kw: dict[str, Any]) -> None:
    ours = _perturb(nn.GroupNorm(groups, channels, dtype=np.float64, **kw))
    crosscheck(ours, torch.nn.GroupNorm(groups, channels, **kw), [_normal(*shape) * 2.0 + 1.0])


# ----------------------------------------------------------------------------- convolutions


@pytest.mark.parametrize("config", [
    dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, dilation=3),
    dict(kernel_size=3, groups=2, bias=False), dict(kernel_size=1, groups=4, stride=3),
])
def test_conv1d(config: dict[str, Any]) -> None:
    ours = nn.Conv1d(4, 8, dtype=np.float64, rng=np.random.default_rng(0), **config)
    crosscheck(ours, torch.nn.Conv1d(4, 8, **config), [_normal(3, 4, 11)])


def test_conv1d_unbatched() -> None:
    ours = nn.Conv1d(2, 3, 3, padding=1, dtype=np.float64, rng=np.random.default_rng(0))
    crosscheck(ours, torch.nn.Conv1d(2, 3, 3, padding=1), [_normal(2, 7)])


@pytest.mark.parametrize("config", [
    dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(0, 2)),
    dict(kernel_size=2, stride=2, bias=False), dict(kernel_size=3, groups=2, stride=2),
    dict(kernel_size=3, dilation=2, padding=2),
])
def test_conv_transpose2d(config: dict[str, Any]) -> None:
    ours = nn.ConvTranspose2d(4, 6, dtype=np.float64, rng=np.random.default_rng(0), **config)
    crosscheck(ours, torch.nn.ConvTranspose2d(4, 6, **config), [_normal(2, 4, 5, 4)])


def test_conv_transpose2d_unbatched() -> None:
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, dtype=np.float64, rng=np.random.default_rng(0))
    crosscheck(ours, torch.nn.ConvTranspose2d(2, 3, 3, stride=2), [_normal(2, 4, 3)])


@pytest.mark.parametrize("size", [1, 3, (2, 5), (5, 3), (None, 2), (7, 6), (4, None)])
def test_adaptive_avg_pool2d(size: Any) -> None:
    crosscheck(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [_normal(2, 3, 7, 6)])
    crosscheck(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [_normal(3, 7, 6)])


# ----------------------------------------------------------------------------- losses


def _loss_check(ours: Any, theirs: Any, x: np.ndarray, y: np.ndarray, target_grad: bool = True) -> None:
    xs = [dualad.Tensor(x, requires_grad=True), dualad.Tensor(y, requires_grad=target_grad)]
    txs = [torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=target_grad)]
    out, tout = ours(*xs), theirs(*txs)
    u = _normal(*out.shape, seed=4)
    ops.sum(ops.mul(out, u)).backward()
    (tout * torch.tensor(u)).sum().backward()
    _close(out.detach().numpy(), tout, "loss")
    _close(xs[0].grad, txs[0].grad, "gradient of the input")
    if target_grad:
        _close(xs[1].grad, txs[1].grad, "gradient of the target")


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kw", [("L1Loss", {}), ("HuberLoss", {}), ("HuberLoss", {"delta": 0.4}),
                                      ("SmoothL1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}),
                                      ("SmoothL1Loss", {"beta": 0.0})])
def test_regression_losses(name: str, kw: dict[str, Any], reduction: str) -> None:
    x, y = _normal(4, 5), _normal(4, 5, seed=2)
    x[0, :3] = y[0, :3]  # zero error: the kink of |d|
    delta = kw.get("delta", kw.get("beta", 1.0))
    x[1, 0], x[1, 1] = y[1, 0] + delta, y[1, 1] - delta  # where the pieces meet
    ours = getattr(nn, name)(reduction=reduction, **kw)
    _loss_check(ours, getattr(torch.nn, name)(reduction=reduction, **kw), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss(reduction: str, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    y[0] = [0.0, 1.0, 0.5]
    w = rng.uniform(0.5, 2.0, (3,)) if weighted else None
    ours = nn.BCELoss(weight=w, reduction=reduction)
    theirs = torch.nn.BCELoss(weight=None if w is None else torch.tensor(w), reduction=reduction)
    _loss_check(ours, theirs, x, y)


def test_bce_clamps_the_log_at_minus_100() -> None:
    x, y = np.array([0.0, 1.0, 1e-50, 0.5]), np.array([1.0, 0.0, 1.0, 0.0])
    ours = F.binary_cross_entropy(x, y, reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y), reduction="none")
    _close(ours, theirs, "clamped loss")


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")  # PyTorch's, on "mean"
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss(reduction: str, log_target: bool) -> None:
    rng = np.random.default_rng(1)
    x = np.log(rng.dirichlet(np.ones(5), size=4))
    p = rng.dirichlet(np.ones(5), size=4)
    y = np.log(p) if log_target else p
    ours = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    _loss_check(ours, torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), x, y)


def test_kl_div_with_zero_targets() -> None:
    x, y = np.log(np.array([[0.2, 0.3, 0.5]])), np.array([[0.0, 0.4, 0.6]])
    _loss_check(nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean"), x, y,
                target_grad=False)


# ----------------------------------------------------------------------------- attention


def _mha(batch_first: bool, bias: bool = True, heads: int = 2) -> tuple[Any, Any]:
    ours = _perturb(nn.MultiheadAttention(8, heads, bias=bias, batch_first=batch_first, dtype=np.float64,
                                          rng=np.random.default_rng(0)))
    return ours, torch.nn.MultiheadAttention(8, heads, bias=bias, batch_first=batch_first)


def _seq(batch_first: bool, length: int, n: int = 3, seed: int = 1) -> np.ndarray:
    return _normal(n, length, 8, seed=seed) if batch_first else _normal(length, n, 8, seed=seed)


def _padding(n: int, s: int) -> np.ndarray:
    mask = np.zeros((n, s), dtype=bool)
    mask[0, -2:] = True
    mask[1, 0] = True
    return mask


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kw", [
    {}, {"average_attn_weights": False}, {"need_weights": False},
    {"key_padding_mask": "bool"}, {"key_padding_mask": "float"},
    {"attn_mask": "bool"}, {"attn_mask": "float"}, {"attn_mask": "3d"},
    {"attn_mask": "bool", "key_padding_mask": "bool", "average_attn_weights": False},
])
def test_multihead_attention(batch_first: bool, kw: dict[str, Any]) -> None:
    n, length, s = 3, 4, 5
    rng = np.random.default_rng(3)
    kwargs = dict(kw)
    if "key_padding_mask" in kw:
        mask = _padding(n, s)
        kwargs["key_padding_mask"] = mask if kw["key_padding_mask"] == "bool" else rng.normal(size=(n, s))
    if "attn_mask" in kw:
        kind = kw["attn_mask"]
        kwargs["attn_mask"] = (np.triu(np.ones((length, s), dtype=bool), 2) if kind == "bool" else
                               rng.normal(size=(length, s)) if kind == "float" else
                               rng.normal(size=(n * 2, length, s)))
    ours, theirs = _mha(batch_first)
    inputs = [_seq(batch_first, length), _seq(batch_first, s, seed=2), _seq(batch_first, s, seed=3)]
    crosscheck(ours, theirs, inputs, kwargs, grad_inputs=(0, 1, 2))


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_self_attention_without_bias(batch_first: bool) -> None:
    ours, theirs = _mha(batch_first, bias=False, heads=4)
    x = _seq(batch_first, 5)
    crosscheck(ours, theirs, [x, x, x], {"attn_mask": np.triu(np.ones((5, 5), dtype=bool), 1)},
               same_object=True)


def test_multihead_attention_unbatched() -> None:
    ours, theirs = _mha(False)
    inputs = [_normal(4, 8), _normal(6, 8, seed=2), _normal(6, 8, seed=3)]
    mask = np.zeros(6, dtype=bool)
    mask[-1] = True
    crosscheck(ours, theirs, inputs, {"key_padding_mask": mask, "average_attn_weights": False},
               grad_inputs=(0, 1, 2))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("options", [
    {"kdim": 5, "vdim": 3}, {"kdim": 5, "vdim": 8}, {"add_bias_kv": True}, {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 6, "vdim": 4},
])
@pytest.mark.parametrize("masks", ["none", "both"])
def test_multihead_attention_kdim_vdim_bias_kv_zero_attn(batch_first: bool, options: dict[str, Any],
                                                          masks: str) -> None:
    """PyTorch's other constructor options: separate q/k/v projections for other key and
    value sizes, learnt extra key/value, a zero key/value; with and without masks (the added
    keys take part for every query)."""
    n, length, s = 3, 4, 5
    ours = _perturb(nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=np.float64,
                                          rng=np.random.default_rng(0), **options))
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, **options)
    kd, vd = options.get("kdim", 8), options.get("vdim", 8)
    shape = (lambda m, f: (n, m, f)) if batch_first else (lambda m, f: (m, n, f))
    inputs = [_normal(*shape(length, 8)), _normal(*shape(s, kd), seed=2), _normal(*shape(s, vd), seed=3)]
    kwargs: dict[str, Any] = {}
    if masks == "both":
        kwargs = {"key_padding_mask": _padding(n, s),
                  "attn_mask": np.triu(np.ones((length, s), dtype=bool), 2)}
    crosscheck(ours, theirs, inputs, kwargs, grad_inputs=(0, 1, 2))
    if "kdim" in options and options["kdim"] != 8:
        assert ours.in_proj_weight is None and "in_proj_weight" not in ours.state_dict()
        assert {"q_proj_weight", "k_proj_weight", "v_proj_weight"} <= set(ours.state_dict())


def test_multihead_attention_self_attention_with_bias_kv_and_zero_attn() -> None:
    ours = _perturb(nn.MultiheadAttention(8, 4, add_bias_kv=True, add_zero_attn=True, dtype=np.float64,
                                          rng=np.random.default_rng(0)))
    theirs = torch.nn.MultiheadAttention(8, 4, add_bias_kv=True, add_zero_attn=True)
    x = _seq(False, 5)
    crosscheck(ours, theirs, [x, x, x], {"attn_mask": np.triu(np.ones((5, 5), dtype=bool), 1)},
               same_object=True)


# ----------------------------------------------------------------------------- transformer


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("config", [
    dict(), dict(norm_first=True), dict(activation="gelu"), dict(activation="gelu", norm_first=True),
    dict(layer_norm_eps=1e-3, bias=False),
])
@pytest.mark.parametrize("masks", ["none", "causal", "padding", "both"])
def test_transformer_encoder_layer(batch_first: bool, config: dict[str, Any], masks: str) -> None:
    n, length = 3, 5
    ours = _perturb(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=batch_first,
                                               dtype=np.float64, rng=np.random.default_rng(0), **config))
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=batch_first,
                                              **config)
    kwargs: dict[str, Any] = {}
    if masks in ("causal", "both"):
        kwargs["src_mask"] = np.triu(np.ones((length, length), dtype=bool), 1)
    if masks in ("padding", "both"):
        kwargs["src_key_padding_mask"] = _padding(n, length)
    crosscheck(ours, theirs, [_seq(batch_first, length, n)], kwargs)


def test_transformer_encoder_layer_float_mask_in_eval_mode_with_dropout() -> None:
    ours = _perturb(nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.3, dtype=np.float64,
                                               rng=np.random.default_rng(0)))
    theirs = torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.3)
    ours.eval()
    theirs.eval()
    mask = np.random.default_rng(5).normal(size=(4, 4))
    crosscheck(ours, theirs, [_normal(4, 2, 8)], {"src_mask": mask})


# ----------------------------------------------------------------------------- utils


def _models_with_grads(seed: int = 0) -> tuple[nn.Module, Any]:
    ours = nn.Sequential(nn.Linear(4, 6, dtype=np.float64, rng=np.random.default_rng(seed)), nn.Tanh(),
                         nn.Linear(6, 2, dtype=np.float64, rng=np.random.default_rng(seed + 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = _normal(5, 4) * 3.0
    ops.sum(ops.mul(ours(x), ours(x))).backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    return ours, theirs


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (1e6, 2.0), (0.3, 1.0), (0.2, float("inf")),
                                                 (0.4, 3.0), (0.2, "inf")])
def test_clip_grad_norm(max_norm: float, norm_type: Any) -> None:
    ours, theirs = _models_with_grads()
    total = nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type)
    _close(total, ttotal, "total norm")
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, tp.grad, f"clipped gradient of {name}")


def test_clip_grad_value() -> None:
    ours, theirs = _models_with_grads()
    nn.utils.clip_grad_value_(ours.parameters(), 0.7)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.7)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, tp.grad, f"clipped gradient of {name}")


def test_parameters_to_vector_and_back() -> None:
    ours, theirs = _models_with_grads()
    vec = nn.utils.parameters_to_vector(ours.parameters())
    _close(vec.detach().numpy(), torch.nn.utils.parameters_to_vector(theirs.parameters()), "vector")
    new = _normal(vec.shape[0], seed=9)
    nn.utils.vector_to_parameters(new, ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        _close(p.data, tp, "parameters from the vector")


def test_clip_grad_norm_of_differentiable_gradients_matches_pytorch() -> None:
    """After backward(create_graph=True): the clipped .grad is still differentiable, with the
    scale a constant as in PyTorch (where it is computed without tracking)."""
    w0 = _normal(3)
    w = nn.Parameter(w0)
    ops.sum(ops.mul(ops.mul(w, w), w)).backward(create_graph=True)   # grad 3 w^2
    total = nn.utils.clip_grad_norm_([w], 1.0)
    penalty = ops.sum(ops.mul(w.grad, w.grad))
    (dpen,) = dualad.autograd.grad(penalty, [w])
    tw = torch.tensor(w0, requires_grad=True)
    (tg,) = torch.autograd.grad((tw ** 3).sum(), tw, create_graph=True)
    ttotal = torch.linalg.vector_norm(tg.detach())
    tclipped = tg * torch.clamp(1.0 / (ttotal + 1e-6), max=1.0)
    (tdpen,) = torch.autograd.grad((tclipped ** 2).sum(), tw)
    _close(total, ttotal, "total norm")
    _close(w.grad.detach().numpy(), tclipped, "clipped gradient")
    _close(dpen, tdpen, "derivative through the clipped gradient")
