"""``odeint``: an ODE solution differentiable by the adjoint method, as JAX's.

The forward pass runs an adaptive Dormand-Prince solver on plain NumPy arrays, so no graph
is built through its steps. The backward pass (a :class:`~dualad.custom_vjp` rule) solves
the adjoint system backwards between the output times: the state ``y`` (recomputed), its
adjoint ``a`` with ``da/dt = -a^T df/dy``, and the parameters' cotangent with
``dp/dt = -a^T df/dp``, each right-hand side one dualad VJP of ``func``. A time's
cotangent is ``g_i . f(y_i, t_i)``, and the start time's is ``-a(t_0) . f(y_0, t_0)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dualad._core.errors import NonDifferentiableError
from dualad._core.levels import bind, primal
from dualad._core.registry import Primitive
from dualad._core.tree import tree_flatten, tree_unflatten
from dualad.ops import concatenate, getitem, reshape
from dualad.ops._util import dtype_of, shape_of
from dualad.scipy._dopri import integrate
from dualad.transforms.custom_vjp import custom_vjp
from dualad.transforms.grad_and_jvp import vjp

__all__ = ["odeint"]


class _Layout:
    """Leaves of a pytree <-> one flat float64 vector (works on traced vectors too)."""

    def __init__(self, tree: Any) -> None:
        leaves, self.treedef = tree_flatten(tree)
        self.shapes = [shape_of(x) for x in leaves]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.exact = [np.dtype(dtype_of(x)).kind in "fc" for x in leaves]
        self.size = int(sum(self.sizes))

    def flat(self, tree: Any) -> Any:
        leaves = tree_flatten(tree)[0]
        if not leaves:
            return np.zeros(0)
        parts = [reshape(x, (-1,)) for x in leaves]
        return parts[0] if len(parts) == 1 else concatenate(parts)

    def tree(self, v: Any, lead: tuple[int, ...] = ()) -> Any:
        if len(self.shapes) == 1:  # no slicing needed (the common case, and the fast one)
            return tree_unflatten(self.treedef, [reshape(v, lead + self.shapes[0])])
        leaves, start = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            index = (Ellipsis, slice(start, start + size))
            leaves.append(reshape(getitem(v, index), lead + shape))
            start += size
        return tree_unflatten(self.treedef, leaves)

    def flat_leading(self, tree: Any, like: Any) -> Any:
        """Cotangents of the solution (leaves with a leading time axis) as ``(len(t), size)``."""
        lead = shape_of(like)[0]
        leaves = [reshape(x, (lead, -1)) for x in tree_flatten(tree)[0]]
        return leaves[0] if len(leaves) == 1 else concatenate(leaves, axis=1)

    def cotangent(self, v: Any) -> Any:
        """A flat cotangent as a tree (float zeros for integer leaves)."""
        out, start = [], 0
        for shape, size, exact in zip(self.shapes, self.sizes, self.exact):
            part = reshape(getitem(v, slice(start, start + size)), shape)
            out.append(part if exact else np.zeros(shape))
            start += size
        return tree_unflatten(self.treedef, out)


def _check_times(t: Any) -> np.ndarray:
    ts = np.asarray(primal(t), dtype=np.float64)
    if ts.ndim != 1 or ts.size < 1:
        raise ValueError(f"odeint: t must be a 1-D array of times, got shape {ts.shape}")
    steps = np.diff(ts)
    if np.any(steps < 0) and np.any(steps > 0):
        raise ValueError("odeint: t must be monotonic (all increasing or all decreasing)")
    return ts


def _real_state(y0: Any) -> Any:
    """``y0`` with integer leaves as float64; complex states are refused."""
    leaves, treedef = tree_flatten(y0)
    if not leaves:
        raise ValueError("odeint: y0 holds no arrays")
    fixed = []
    for x in leaves:
        kind = np.dtype(dtype_of(x)).kind
        if kind == "c":
            raise NonDifferentiableError("odeint: y0 is complex; integrate its real and "
                                         "imaginary parts as two real arrays instead")
        fixed.append(x if kind == "f" else np.asarray(x, dtype=np.float64))
    return tree_unflatten(treedef, fixed)


def _refuse(*_: Any, **__: Any) -> Any:
    raise NonDifferentiableError(
        "odeint: derivatives of odeint's gradient (second order and above) are not "
        "supported: its forward and adjoint solves run in NumPy. Differentiate once (any "
        "reverse-mode transform, vmap included), or take finite differences of the gradient.")


def _numpy_step(name: str, impl: Callable[..., Any], multiple: bool) -> Primitive:
    """An unregistered primitive for one call's NumPy solve (as custom_vjp makes its own):
    vmap loops over it, and differentiating it (a higher order) raises."""
    return Primitive(f"odeint.{name}", impl, jvp_joint=_refuse, vjp_joint=_refuse,
                     multiple_results=multiple, batch="loop", doc=f"odeint's {name} (NumPy).")


def _solver(func: Callable[..., Any], y_layout: _Layout, arg_layouts: list[_Layout],
            rtol: float, atol: float, mxstep: float, hmax: float) -> custom_vjp:
    n = y_layout.size

    def args_of(flat: Any) -> list[Any]:
        out, start = [], 0
        for lay in arg_layouts:
            out.append(lay.tree(getitem(flat, slice(start, start + lay.size))))
            start += lay.size
        return out

    def field(y: Any, t: Any, args: list[Any]) -> Any:
        return y_layout.flat(func(y_layout.tree(y), t, *args))

    def solve_impl(y0: np.ndarray, t: np.ndarray, theta: np.ndarray) -> np.ndarray:
        args = args_of(theta)  # unflattened once: plain arrays, constants of the solve
        plain = lambda y, s: np.asarray(field(y, s, args), dtype=np.float64)  # noqa: E731
        return integrate(plain, y0, _check_times(t), rtol, atol, mxstep, hmax)

    def augmented(state: np.ndarray, s: float, args: list[Any]) -> np.ndarray:
        """The adjoint system's right-hand side: one VJP of func at (y, s, args)."""
        y, a = state[:n], state[n:2 * n]
        f, pull = vjp(lambda yy, *aa: field(yy, s, list(aa)), y, *args)
        a_y, *a_args = pull(a)
        a_theta = [np.asarray(lay.flat(c), dtype=np.float64).ravel()
                   for lay, c in zip(arg_layouts, a_args)]
        return np.concatenate([np.asarray(f), -np.asarray(a_y), *(-c for c in a_theta)])

    def adjoint_impl(ys: np.ndarray, t: np.ndarray, theta: np.ndarray, g: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ts = np.asarray(t, dtype=np.float64)
        a, theta_bar, ts_bar = g[-1].copy(), np.zeros(theta.size), np.zeros(ts.size)
        args = args_of(theta)

        def f_at(i: int) -> np.ndarray:
            return np.asarray(field(ys[i], ts[i], args), np.float64)

        for i in range(ts.size - 1, 0, -1):
            ts_bar[i] = g[i] @ f_at(i)
            state = np.concatenate([ys[i], a, theta_bar])
            state = integrate(lambda z, s_: augmented(z, s_, args), state,
                              ts[[i, i - 1]], rtol, atol, mxstep, hmax)[-1]
            a, theta_bar = state[n:2 * n] + g[i - 1], state[2 * n:]
        ts_bar[0] = -(a - g[0]) @ f_at(0)
        return a, ts_bar.astype(np.result_type(t, np.float64)), theta_bar

    solve_p = _numpy_step("solve", solve_impl, False)
    adjoint_p = _numpy_step("adjoint", adjoint_impl, True)

    def flat_args(args: tuple[Any, ...]) -> Any:
        return concatenate([np.zeros(0)] + [lay.flat(a) for lay, a in zip(arg_layouts, args)])

    def solve(y0: Any, t: Any, *args: Any) -> Any:
        return forward(y0, t, *args)[0]

    def forward(y0: Any, t: Any, *args: Any) -> tuple[Any, Any]:
        theta = flat_args(args)
        ys = bind(solve_p, y_layout.flat(y0), t, theta)
        return y_layout.tree(ys, (shape_of(t)[0],)), (ys, t, theta)

    def backward(res: Any, g: Any) -> tuple[Any, ...]:
        ys, t, theta = res
        a, ts_bar, theta_bar = bind(adjoint_p, ys, t, theta, y_layout.flat_leading(g, ys))
        cts, start = [], 0
        for lay in arg_layouts:
            cts.append(lay.cotangent(getitem(theta_bar, slice(start, start + lay.size))))
            start += lay.size
        return (y_layout.cotangent(a), ts_bar, *cts)

    solver = custom_vjp(solve)
    solver.defvjp(forward, backward)
    return solver


def odeint(func: Callable[..., Any], y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8,
           atol: float = 1.4e-8, mxstep: float = np.inf, hmax: float = np.inf,
           **scipy_style: Any) -> Any:
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; see ``jax.experimental.ode``.

    Returns ``y`` at every time in ``t`` (a new leading axis of length ``len(t)`` on each
    leaf of ``y0``, which may be an array or a pytree of arrays). ``func`` is written with
    dualad (or NumPy-on-``dualad.numpy``) operations. The result is differentiable in
    reverse mode with respect to ``y0``, ``t`` and every array in ``args`` by the adjoint
    method: the backward pass solves the adjoint ODE backwards, so memory does not grow
    with the number of solver steps. Forward mode (``jvp``, ``jacfwd``, ``hessian``) raises,
    and so do derivatives of the gradient.

    Args:
        func: the right-hand side, ``func(y, t, *args)``, returning ``y``'s structure.
        y0: the initial state.
        t: 1-D monotonic array of times; ``t[0]`` is where ``y0`` holds.
        *args: extra arguments of ``func`` (arrays or pytrees of arrays).
        rtol: relative tolerance of the adaptive steps.
        atol: absolute tolerance of the adaptive steps.
        mxstep: the most steps between two consecutive times (a RuntimeError beyond).
        hmax: the largest step.
        args: (keyword) SciPy's and HIPS autograd's spelling of the extra arguments,
            ``odeint(func, y0, t, args=(w,))``; the same as ``odeint(func, y0, t, w)``. (A
            tuple passed positionally is one argument, as in JAX.)

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad.scipy.integrate import odeint
        >>> t = np.array([0.0, 1.0])
        >>> ys = odeint(lambda y, t, k: -k * y, np.array([2.0]), t, np.array(0.5))
        >>> np.round(ys[:, 0], 6)
        array([2.      , 1.213061])
        >>> g = dualad.grad(lambda k: odeint(lambda y, t, k: -k * y, 2.0, t, k)[-1])(0.5)
        >>> round(float(g), 6)  # d/dk 2 exp(-k) = -2 exp(-k)
        -1.213061
    """
    if not callable(func):
        raise TypeError(f"odeint: func must be a function func(y, t, *args), got "
                        f"{type(func).__name__}")
    if scipy_style:
        unknown = sorted(set(scipy_style) - {"args"})
        if unknown:
            raise TypeError(f"odeint: unexpected keyword argument(s) {unknown}; the options are "
                            "rtol, atol, mxstep, hmax and args")
        if args:
            raise TypeError("odeint: pass func's extra arguments positionally (JAX's style) or "
                            "as args=(...) (SciPy's), not both")
        extra = scipy_style["args"]
        args = tuple(extra) if isinstance(extra, (tuple, list)) else (extra,)
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not value > 0:
            raise ValueError(f"odeint: {name} must be positive, got {value}")
    y0 = _real_state(y0)
    solver = _solver(func, _Layout(y0), [_Layout(a) for a in args], rtol, atol, mxstep, hmax)
    return solver(y0, t, *args)
