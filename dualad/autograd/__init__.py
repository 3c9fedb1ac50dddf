"""``torch.autograd`` habits on dualad's eager tensors: :func:`grad` and :func:`backward`.

Both run one backward pass of the reverse engine from one or more outputs. :func:`grad`
returns the gradients with respect to the inputs you name (leaves or intermediate tensors)
and leaves every ``.grad`` alone; :func:`backward` accumulates into ``.grad`` like
``Tensor.backward`` does, for several outputs at once. With ``create_graph=True`` the pass
is itself recorded, so its results can be differentiated again (see
:mod:`dualad.engines.tensor_autograd`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dualad.engines import inplace as _inplace
from dualad.engines.reverse import Node
from dualad.engines.tensor import Tensor
from dualad.engines.tensor_autograd import _accumulate, _seed, owned_gradient, run_backward

__all__ = ["backward", "grad"]


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Args:
        outputs: a tensor, or a sequence of them; their gradients are summed.
        inputs: the tensors (leaves or intermediate results) to differentiate with
            respect to: a tensor, or a sequence of them.
        grad_outputs: the cotangent of each output (a tensor or array, or a sequence of
            them, one per output); ``None`` (or a ``None`` entry) means 1 and is allowed
            only for single-element real outputs.
        retain_graph: keep the graph's saved values for another backward pass; defaults
            to ``create_graph``.
        create_graph: record the pass, so the returned gradients are differentiable
            ``Tensor`` s (gradient penalties, Hessian-vector products).
        allow_unused: return ``None`` for an input the outputs do not depend on, instead
            of raising.
        materialize_grads: return zeros (instead of ``None``) for such inputs.

    Returns:
        A tuple with one gradient per input: NumPy arrays, or ``Tensor`` s with
        ``create_graph=True``.

    Examples:
        >>> import dualad
        >>> x = dualad.Tensor([1.0, 2.0], requires_grad=True)
        >>> y = (x ** 3).sum()
        >>> (g,) = dualad.autograd.grad(y, x, create_graph=True)
        >>> g                                 # 3 x^2
        Tensor([ 3., 12.], requires_grad=True)
        >>> dualad.autograd.grad(g.sum(), x)  # 6 x
        (array([ 6., 12.]),)
        >>> x.grad is None
        True
    """
    outs = _tensors(outputs, "autograd.grad: outputs")
    ins = _tensors(inputs, "autograd.grad: inputs")
    for k, t in enumerate(ins):
        if t._node is None:
            raise RuntimeError(
                f"autograd.grad: inputs[{k}] does not require grad, so no gradient is computed "
                "for it; create it with requires_grad=True (or leave it out of inputs).")
    retain = create_graph if retain_graph is None else retain_graph
    seeds = _seeds(outs, grad_outputs, "autograd.grad", create_graph)
    capture: dict[Node, Any] = {t._node: None for t in ins if t._node is not None
                                and t._node.prim is not None}
    leaves = run_backward(seeds, retain, create_graph, capture)
    result = []
    for k, t in enumerate(ins):
        node = t._node
        assert node is not None
        g = leaves.get(node) if node.prim is None else capture[node]
        if g is not None and t._index is not None:
            g = g[t._index]
        result.append(_finish(g, t, k, allow_unused, materialize_grads, create_graph,
                              () if grad_outputs is None else [s for _, s in seeds]))
    if not retain:
        _inplace.release_leaves(leaves)
    return tuple(result)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate the gradients of several outputs into ``.grad`` in one backward pass.

    The same as ``sum(t.backward(g) for t, g in ...)``, but the graph is walked once.

    Args:
        tensors: the outputs (a tensor or a sequence of them).
        grad_tensors: their cotangents, as ``grad_outputs`` of :func:`grad`.
        retain_graph: as for ``Tensor.backward``; defaults to ``create_graph``.
        create_graph: record the pass, so ``.grad`` becomes differentiable.
        inputs: if given, only these leaves' ``.grad`` are updated.

    Examples:
        >>> import dualad
        >>> x = dualad.Tensor(2.0, requires_grad=True)
        >>> dualad.autograd.backward([x * x, 3 * x])
        >>> x.grad                            # 2 x + 3
        array(7.)
    """
    outs = _tensors(tensors, "autograd.backward: tensors")
    retain = create_graph if retain_graph is None else retain_graph
    seeds = _seeds(outs, grad_tensors, "autograd.backward", create_graph)
    grads = run_backward(seeds, retain, create_graph)
    kept = grads
    if inputs is not None:
        wanted = {id(t._node) for t in _tensors(inputs, "autograd.backward: inputs")}
        kept = {n: g for n, g in grads.items() if id(n) in wanted}
    _accumulate(kept, () if grad_tensors is None else [s for _, s in seeds], create_graph)
    if not retain:
        _inplace.release_leaves(grads)


def _tensors(x: Any, what: str) -> list[Tensor]:
    items = [x] if isinstance(x, Tensor) else list(x) if isinstance(x, (list, tuple)) else None
    if items is None or not items:
        raise TypeError(f"{what} must be a Tensor or a non-empty sequence of Tensors, "
                        f"got {type(x).__name__}")
    for k, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}[{k}] must be a Tensor, got {type(t).__name__}; "
                            "wrap arrays with dualad.Tensor(..., requires_grad=True)")
    return items


def _seeds(outs: list[Tensor], cts: Any, fn: str, create_graph: bool) -> list[tuple[Tensor, Any]]:
    if cts is None:
        cts = [None] * len(outs)
    elif isinstance(cts, (Tensor, np.ndarray)) or np.isscalar(cts):
        cts = [cts]
    cts = list(cts)
    if len(cts) != len(outs):
        raise ValueError(f"{fn}: got {len(outs)} outputs but {len(cts)} gradients for them; "
                         "pass one per output (None for 1).")
    seeds = []
    for k, (t, ct) in enumerate(zip(outs, cts)):
        if t._node is None:
            raise RuntimeError(
                f"{fn}: element {k} of the outputs does not require grad: nothing it depends "
                "on was created with requires_grad=True (or it was computed under no_grad()).")
        seeds.append((t, _seed(t, ct, f"{fn}: gradient {k}", create_graph)))
    return seeds


def _finish(g: Any, t: Tensor, k: int, allow_unused: bool, materialize: bool,
            create_graph: bool, user_seeds: Sequence[Any]) -> Any:
    if g is None:
        if materialize:
            zeros = np.zeros(t.shape, np.result_type(t._value))
            return Tensor(zeros) if create_graph else zeros
        if not allow_unused:
            raise RuntimeError(
                f"autograd.grad: the outputs do not depend on inputs[{k}]; pass "
                "allow_unused=True to get None for it (or materialize_grads=True for zeros).")
        return None
    if create_graph:
        return g if isinstance(g, Tensor) else Tensor(g)
    return owned_gradient(g, user_seeds)
