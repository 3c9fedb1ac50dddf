"""Function transforms: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``hvp``, ``derivative``.

Each call pushes its own level (``new_main``, popped in ``finally``), wraps the inputs as that
level's tracers, runs the user's function and reads the derivative off the outputs. Inputs
and outputs may be nested tuples/lists/dicts of arrays and Python scalars.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError, ShapeError
from dualad._core.levels import check_output, new_main, primal
from dualad._core.tree import LEAF, tree_flatten, tree_map, tree_unflatten
from dualad.engines.cotangents import as_cotangent
from dualad.engines.forward import Dual, ForwardTrace
from dualad.engines.reverse import backward_from, in_dtype_of
from dualad.ops._util import dtype_of, is_complex, shape_of
from dualad.ops.shape import reshape
from dualad.transforms import _holomorphic as holomorphic
from dualad.transforms.arguments import Labels, as_input, check_callable, finish, leaf_paths, split_args
from dualad.transforms.jacfwd_pass import jacfwd_core
from dualad.transforms.recording import FLAT, pull_back, record, record_parts

__all__ = ["derivative", "grad", "hvp", "jvp", "value_and_grad", "vjp"]
# grad_as and value_and_grad_as are for the transforms built on these (hessian).


# ----------------------------------------------------------------------------- reverse mode


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)`` (``(out, vjp_fn, aux)`` with aux).

    ``vjp_fn(cotangent)`` takes a cotangent with the structure and shapes of ``out`` and
    returns one cotangent per primal. It may be called many times.

    Examples:
        >>> import numpy as np, dualad
        >>> out, pullback = dualad.vjp(lambda x: x * 3.0, np.array([1.0, 2.0]))
        >>> pullback(np.array([1.0, 10.0]))
        (array([ 3., 30.]),)
    """
    return _vjp(f, primals, has_aux, "vjp")


def _vjp(f: Callable[..., Any], primals: tuple[Any, ...], has_aux: bool, name: str,
         labels: Labels | None = None) -> Any:
    rec = record(f, primals, has_aux, name, labels)  # name: the transform the user called

    def vjp_fn(cotangent: Any) -> Any:
        ct_leaves, ct_tree = tree_flatten(cotangent)
        if ct_tree != rec.out_tree:
            raise ShapeError(f"vjp_fn: the cotangent has structure {ct_tree}, but the output has "
                             f"{rec.out_tree}; pass one array per output leaf, nested the same way.")
        ct_leaves = [as_cotangent(ct, v, f"vjp_fn: cotangent {k}", f"output {k}")
                     for k, (ct, v) in enumerate(zip(ct_leaves, rec.values))]
        grads = [_own(g, ct_leaves) for g in pull_back(rec.roots, ct_leaves, rec.inputs)]
        full = [finish(g) if g is not None else np.zeros_like(primal(x))
                for g, x in zip(grads, rec.leaves)]
        return tuple(tree_unflatten(rec.in_tree, full))

    out = tree_unflatten(rec.out_tree, [finish(v) for v in rec.values])
    return (out, vjp_fn, rec.aux) if has_aux else (out, vjp_fn)


def _own(g: Any, cotangents: list[Any]) -> Any:
    """``g``, copied if it is (a view of) one of the caller's cotangent arrays."""
    if type(g) is np.ndarray and any(type(c) is np.ndarray and np.may_share_memory(g, c)
                                     for c in cotangents):
        return g.copy()
    return g


def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False, mode: str = "reverse", holomorphic: bool = False
                   ) -> Callable[..., Any]:
    """Like :func:`grad`, but the new function returns ``(value, gradient)``.

    With ``has_aux=True`` it returns ``((value, aux), gradient)``.
    """
    return value_and_grad_as(f, argnums, has_aux, mode, "value_and_grad", holomorphic)


def value_and_grad_as(f: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool,
                      mode: str, name: str, holomorphic: bool = False) -> Callable[..., Any]:
    """:func:`value_and_grad`, whose errors name ``name``: the transform the user called
    (``grad``, ``hessian``, ``hvp``...), which may be built on this one."""
    check_callable(f, name)
    if mode not in ("reverse", "forward"):
        raise ValueError(f"{name}: mode must be 'reverse' or 'forward', got {mode!r}")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, labels = split_args(f, args, kwargs, argnums, name)
        if holomorphic:
            value, grads, aux = _holomorphic_grad(g, diff, has_aux, mode, name, labels)
        elif mode == "reverse":
            value, grads, aux = _reverse_grad(g, diff, has_aux, name, labels)
        elif any(map(is_complex, tree_flatten(diff)[0])):
            value, grads, aux = _forward_grad_complex(g, diff, has_aux, name, labels)
        else:
            def g_out(*d: Any) -> Any:
                out = g(*d)
                _check_scalar(out[0] if has_aux and isinstance(out, (tuple, list)) else out, name)
                return out

            value, jac, aux = jacfwd_core(g_out, diff, has_aux, name, labels)
            _scalar_seed(value, name)
            grads = tuple(tree_map(lambda j, x: finish(in_dtype_of(_drop_out_axes(j, value), x)),
                                   jk, xk) for jk, xk in zip(jac, diff))
        grads_out = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((value, aux) if has_aux else value), grads_out

    return wrapped


def _reverse_grad(g: Callable[..., Any], diff: tuple[Any, ...], has_aux: bool, name: str,
                  labels: Labels | None) -> tuple[Any, tuple[Any, ...], Any]:
    """``vjp`` with the scalar seed, minus what a user's cotangent needs (structure and dtype
    checks) and with the graph freed during its one backward pass: ``grad`` in a loop pays
    this path's cost on every call."""
    values, out_tree, roots, inputs, leaves, in_tree, aux = record_parts(
        g, diff, has_aux, name, labels, checked=True)
    if out_tree is LEAF and type(values[0]) in _FLOAT_SCALARS:  # what finish and _scalar_seed give
        value = values[0]
        seed = type(value)(1.0)
    else:
        value = finish(values[0]) if out_tree is LEAF else \
            tree_unflatten(out_tree, [finish(v) for v in values])
        seed = _scalar_seed(value, name)
    root = roots[0]
    found = {} if root is None else backward_from([(root[0], root[1], seed)], retain_graph=False)
    full = []
    aliasable = type(seed) is np.ndarray  # a scalar seed: no gradient can be a view of it
    for node, x in zip(inputs, leaves):
        c = found.get(node)
        if c is None:
            full.append(np.zeros_like(primal(x)))
            continue
        if aliasable:
            c = _own(c, [seed])
        full.append(c[()] if isinstance(c, np.ndarray) and c.ndim == 0 else c)  # finish(c)
    return value, tuple(full if in_tree is FLAT.get(len(full)) else tree_unflatten(in_tree, full)), aux


def _holomorphic_grad(g: Callable[..., Any], diff: tuple[Any, ...], has_aux: bool, mode: str,
                      name: str, labels: Labels) -> tuple[Any, tuple[Any, ...], Any]:
    """``f'(z)`` of a complex scalar ``f``: forward mode's JVP, or reverse mode's conjugated VJP."""
    holomorphic.check_inputs(diff, name)
    if mode == "reverse":
        value, pullback, *rest = _vjp(g, diff, has_aux, name, labels)
        grads = holomorphic.conjugated(pullback(holomorphic.check_output(value, name, True)))
        return value, tuple(grads), rest[0] if rest else None

    def g_out(*d: Any) -> Any:
        out = g(*d)
        _check_scalar(out[0] if has_aux and isinstance(out, (tuple, list)) else out, name)
        return out

    value, jac, aux = jacfwd_core(g_out, diff, has_aux, name, labels)
    holomorphic.check_output(value, name, True)
    return value, tuple(tree_map(lambda j: finish(_drop_out_axes(j, value)), jk) for jk in jac), aux


def _forward_grad_complex(g: Callable[..., Any], diff: tuple[Any, ...], has_aux: bool,
                          name: str, labels: Labels) -> tuple[Any, tuple[Any, ...], Any]:
    """Forward-mode gradient with complex inputs: ``dL/dx + 1j * dL/dy`` per complex leaf.

    Each complex leaf is split into its real and imaginary parts, so the one batched
    forward pass pushes both the real and the imaginary unit directions.
    """
    leaves, tree = tree_flatten(diff)
    split = [is_complex(x) for x in leaves]
    parts = tuple((np.real(x), np.imag(x)) if c else x for x, c in zip(leaves, split))
    part_labels = [w for w, c in zip(labels, split) for w in ((f"{w}.real", f"{w}.imag")
                                                              if c else (w,))]

    def g_parts(*ps: Any) -> Any:
        out = g(*tree_unflatten(tree, [p[0] + 1j * p[1] if c else p for p, c in zip(ps, split)]))
        _check_scalar(out[0] if has_aux and isinstance(out, (tuple, list)) else out, name)
        return out

    value, jac, aux = jacfwd_core(g_parts, parts, has_aux, name, part_labels)
    _scalar_seed(value, name)
    grads = [_drop_out_axes(j[0], value) + 1j * _drop_out_axes(j[1], value) if c
             else _drop_out_axes(j, value) for j, c in zip(jac, split)]
    return value, tuple(finish(x) for x in tree_unflatten(tree, grads)), aux


def _check_scalar(out: Any, name: str) -> None:
    if isinstance(out, (tuple, list, dict)):
        aux = ", or has_aux=True to return extras" if name in ("grad", "value_and_grad") else ""
        raise NonDifferentiableError(
            f"{name}: the function returned a {type(out).__name__}; {name} needs a single scalar "
            f"output. Use jacobian or vjp for several outputs{aux}.")
    if out is None or isinstance(out, (str, bytes)):
        raise NonDifferentiableError(
            f"{name}: the function returned {type(out).__name__}; {name} needs a real floating "
            "point scalar. Check that the function ends with a return statement.")


_FLOAT_SCALARS = frozenset({np.float64, np.float32, np.float16, np.longdouble})


def _scalar_seed(value: Any, name: str) -> Any:
    _check_scalar(value, name)
    v = primal(value)
    shape = shape_of(v)  # (v may be a tracer of an outer vmap: no np.size)
    dt = dtype_of(v)
    if shape and prod(shape) != 1:
        raise NonDifferentiableError(
            f"{name}: the function must return a scalar, got shape {shape}. Use "
            "dualad.jacobian (all derivatives), dualad.vjp (a weighted sum of them), or reduce "
            "the output first (e.g. .sum()).")
    if dt.kind not in "f":
        raise NonDifferentiableError(
            f"{name}: the function returned dtype {dt}; {name} needs a real floating point "
            "output (for complex outputs use vjp with an explicit cotangent).")
    return np.ones(shape, dtype=dt) if shape else dt.type(1.0)


def _drop_out_axes(j: Any, value: Any) -> Any:
    """A Jacobian of a single-element output as a gradient: drop the output's axes."""
    n = len(shape_of(primal(value)))
    return reshape(j, shape_of(j)[n:]) if n else j


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
         mode: str = "reverse", holomorphic: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function, as a new function with the same arguments.

    Args:
        f: function returning a scalar (real, floating point).
        argnums: which positional argument(s) to differentiate; a tuple gives a tuple.
        has_aux: ``f`` returns ``(scalar, aux)``; the new function returns ``(grad, aux)``.
        mode: ``"reverse"`` (one backward pass) or ``"forward"`` (one batched forward pass).
        holomorphic: ``f`` is a holomorphic complex function of complex inputs: return its
            complex derivative ``f'(z)``, as JAX does (see docs/howto/linalg_complex.md).
            Without it, the gradient of a real ``f`` of complex ``z`` is ``dL/dx + 1j dL/dy``.

    Examples:
        >>> import dualad
        >>> float(dualad.grad(lambda x: x ** 3)(2.0))
        12.0
        >>> float(dualad.grad(dualad.grad(lambda x: x ** 3))(2.0))
        12.0
        >>> complex(dualad.grad(lambda z: z ** 3, holomorphic=True)(1j))   # 3 z^2
        (-3+0j)
    """
    return grad_as(f, argnums, has_aux, mode, "grad", holomorphic)


def grad_as(f: Callable[..., Any], argnums: int | tuple[int, ...], has_aux: bool, mode: str,
            name: str, holomorphic: bool = False) -> Callable[..., Any]:
    """:func:`grad`, whose errors name ``name`` (the transform the user called)."""
    vg = value_and_grad_as(f, argnums, has_aux, mode, name, holomorphic)
    reverse_of_first = mode == "reverse" and not holomorphic and type(argnums) is int and argnums == 0

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if reverse_of_first and len(args) == 1 and not kwargs:
            # grad(f)(x), the common call: what vg does, minus split_args and its wrapper
            _, grads, aux = _reverse_grad(f, args, has_aux, name, None)
            return (grads[0], aux) if has_aux else grads[0]
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapped


# ----------------------------------------------------------------------------- forward mode


def jvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``.

    Examples:
        >>> import dualad
        >>> value, tangent = dualad.jvp(lambda x: x * x, (3.0,), (1.0,))
        >>> float(value), float(tangent)
        (9.0, 6.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp(f, primals, tangents): primals and tangents must be tuples, e.g. "
                        "jvp(f, (x,), (v,))")
    return _jvp(f, tuple(primals), tuple(tangents), "jvp")


def _jvp(f: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...], name: str,
         single: tuple[str, str] | None = None) -> tuple[Any, Any]:
    """:func:`jvp`, whose errors name ``name`` (the transform called) and the argument:
    ``primals[0]``/``tangents[0]``, or for a single primal the names in ``single``
    (``("x", "v")`` for ``hvp(f, x, v)``)."""
    check_callable(f, name)
    what = single or ("primals", "tangents")
    p_leaves, p_tree = tree_flatten(primals)
    t_leaves, t_tree = tree_flatten(tangents)
    if p_tree != t_tree:
        shown = (t_tree.children[0], p_tree.children[0]) if single else (t_tree, p_tree)
        raise ShapeError(f"{name}: {what[1]} has the structure {shown[0]}, but {what[0]} has "
                         f"{shown[1]}; pass one tangent per primal, nested the same way.")
    p_names = leaf_paths(primals[0] if single else primals, what[0])
    t_names = [what[1] + p[len(what[0]):] for p in p_names]
    p_leaves = [as_input(p, f"{name}: {w}") for p, w in zip(p_leaves, p_names)]
    t_leaves = [as_cotangent(t, p, f"{name}: {tw}", pw)
                for p, t, pw, tw in zip(p_leaves, t_leaves, p_names, t_names)]
    with new_main(lambda level: ForwardTrace(level, batched=False, name=name)) as main:
        duals = [Dual._make(main, p, reshape(t, (1,) + shape_of(t))) for p, t in zip(p_leaves, t_leaves)]
        out = f(*tree_unflatten(p_tree, duals))
        o_leaves, o_tree = tree_flatten(out)
        values, tans = [], []
        for o in o_leaves:
            check_output(o, main, name)
            if isinstance(o, Dual) and o._main is main:
                values.append(o.primal)
                tans.append(reshape(o._tangent, shape_of(o.primal)))
            else:
                values.append(o)
                plain = np.asarray(primal(o))  # a constant: zero tangent, in its precision
                tans.append(np.zeros_like(plain, dtype=plain.dtype if plain.dtype.kind in "fc" else float))
    return (tree_unflatten(o_tree, [finish(v) for v in values]),
            tree_unflatten(o_tree, [finish(t) for t in tans]))


def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """Hessian-vector product of a scalar ``f`` at ``x`` along ``v`` (forward over reverse)."""
    check_callable(f, "hvp")
    return _jvp(grad_as(f, 0, False, "reverse", "hvp"), (x,), (v,), "hvp", ("x", "v"))[1]


def derivative(f: Callable[..., Any]) -> Callable[..., Any]:
    """The derivative of a function of one scalar, as a new function (forward mode).

    Examples:
        >>> import dualad
        >>> float(dualad.derivative(dualad.sin)(0.0))
        1.0
    """
    check_callable(f, "derivative")

    def wrapped(x: Any) -> Any:
        if shape_of(x) != ():
            raise ShapeError(f"derivative: expects a scalar input, got shape {shape_of(x)}; "
                             "use jacfwd for array inputs")
        return _jvp(f, (x,), (1.0,), "derivative", ("x", "tangent"))[1]

    return wrapped
