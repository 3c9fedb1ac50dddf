"""Matrix multiplication (with NumPy's 1-D promotion and batch broadcasting).

For complex operands the VJP uses conjugate transposes (the adjoint of the JVP), so the
cotangent of ``x`` is ``g @ y^H``; on real values ``conj`` is free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind
from dualad._core.registry import Example, defprimitive
from dualad.ops._batching_axes import align_front, to_front
from dualad.ops._sampling import draw, draw_complex
from dualad.ops._util import batch_size, column_major, ndim_of, shape_of
from dualad.ops.complex import conj
from dualad.ops.shape import reshape, transpose, unbroadcast


def _as_row(x: Any) -> Any:
    s = shape_of(x)
    return reshape(x, (1, s[0])) if len(s) == 1 else x


def _as_col(y: Any) -> Any:
    s = shape_of(y)
    return reshape(y, (s[0], 1)) if len(s) == 1 else y


def _mT(x: Any) -> Any:
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _lead(t: Any, batch_dims: int, have: int) -> Any:
    """Insert size-1 axes after a tangent's batch axis so its batch dims reach ``batch_dims``."""
    if have >= batch_dims:
        return t
    s = shape_of(t)
    return reshape(t, (s[0],) + (1,) * (batch_dims - have) + s[1:])


def _jvp_x(t: Any, ans: Any, x: Any, y: Any) -> Any:
    b = batch_size(t)
    if ndim_of(y) == 2 and ndim_of(x) <= 2:  # one matrix product for all directions at once
        s = shape_of(t)
        flat = reshape(t, (math.prod(s[:-1]), s[-1]))  # (B, n) or (B * m, n)
        return reshape(bind(matmul_p, flat, y), (b,) + shape_of(ans))
    t2 = reshape(t, (b, 1, shape_of(x)[0])) if len(shape_of(x)) == 1 else t
    y2 = _as_col(y)
    nb = max(len(shape_of(t2)) - 3, len(shape_of(y2)) - 2)
    out = matmul(_lead(t2, nb, len(shape_of(t2)) - 3), y2)
    return reshape(out, (b,) + shape_of(ans))


def _jvp_y(t: Any, ans: Any, x: Any, y: Any) -> Any:
    b = batch_size(t)
    if ndim_of(x) == 2 and ndim_of(y) == 1:  # matrix @ vector: (B, n) @ x.T, one product
        return bind(matmul_p, t, x.T)
    t2 = reshape(t, (b, shape_of(y)[0], 1)) if len(shape_of(y)) == 1 else t
    x2 = _as_row(x)
    nb = max(len(shape_of(t2)) - 3, len(shape_of(x2)) - 2)
    out = matmul(x2, _lead(t2, nb, len(shape_of(t2)) - 3))
    return reshape(out, (b,) + shape_of(ans))


def _promoted_g(g: Any, x: Any, y: Any) -> Any:
    """The output cotangent with the axes that 1-D promotion squeezed put back."""
    s = list(shape_of(g))
    if len(shape_of(y)) == 1:
        s.append(1)
    if len(shape_of(x)) == 1:
        s.insert(len(s) - 1, 1)
    return reshape(g, tuple(s))


def _vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim == 2 and y.ndim == 2:  # the common case: skip the promotion bookkeeping
        # (.T: a plain array's transposed view, or a recorded transpose on a traced value)
        return bind(matmul_p, g, conj(y).T)
    x2 = _as_row(x)
    dx = matmul(_promoted_g(g, x, y), _mT(_as_col(conj(y))))
    return reshape(unbroadcast(dx, shape_of(x2)), shape_of(x))


def _vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim == 2 and y.ndim == 2:
        return bind(matmul_p, conj(x).T, g)
    y2 = _as_col(y)
    dy = matmul(_mT(_as_row(conj(x))), _promoted_g(g, x, y))
    return reshape(unbroadcast(dy, shape_of(y2)), shape_of(y))


def _conj_plain(a: np.ndarray) -> np.ndarray:
    return a.conj() if a.dtype.kind == "c" else a


def _vjp_x_plain(g: Any, ans: Any, x: np.ndarray, y: np.ndarray) -> Any:
    if x.ndim == 2 and y.ndim == 2:
        return np.matmul(g, _conj_plain(y).T)
    return _vjp_x(g, ans, x, y)


def _vjp_y_plain(g: Any, ans: Any, x: np.ndarray, y: np.ndarray) -> Any:
    if x.ndim == 2 and y.ndim == 2:
        if column_major(y):  # e.g. nn.Linear's weight.T: give dy the same layout, so the
            # weight's own cotangent comes out C-contiguous (no copy before an optimizer step)
            return np.matmul(g.T, _conj_plain(x)).T
        return np.matmul(_conj_plain(x).T, g)
    return _vjp_y(g, ans, x, y)


_MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                  ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]


def _matmul_sample(rng: np.random.Generator) -> Example:
    sx, sy = _MATMUL_SHAPES[rng.integers(len(_MATMUL_SHAPES))]
    return Example((np.asarray(draw(rng, sx)), np.asarray(draw(rng, sy))), {})


def _matmul_complex_sample(rng: np.random.Generator) -> Example:
    sx, sy = _MATMUL_SHAPES[rng.integers(len(_MATMUL_SHAPES))]
    return Example((np.asarray(draw_complex(rng, sx)), np.asarray(draw_complex(rng, sy))), {})


def _matmul_batch(args: Any, dims: Any) -> tuple[Any, int]:
    """Per-element vectors promoted to matrices, batch axes in front (stack ranks aligned),
    one batched product, then the promoted axes removed again."""
    (x, y), (dx, dy) = args, dims
    vx, vy = ndim_of(x) - (dx is not None) == 1, ndim_of(y) - (dy is not None) == 1
    x, y = to_front(x, dx), to_front(y, dy)
    single = _one_matrix_product(x, y, dx, dy, vx, vy)
    if single is not None:
        return single
    if vx:
        x = reshape(x, shape_of(x)[:-1] + (1,) + shape_of(x)[-1:])
    if vy:
        y = reshape(y, shape_of(y) + (1,))
    top = max(ndim_of(x) - (dx is not None), ndim_of(y) - (dy is not None))
    out = bind(matmul_p, align_front(x, None if dx is None else 0, top),
               align_front(y, None if dy is None else 0, top))
    s = list(shape_of(out))
    if vy:
        s.pop(-1)
    if vx:
        s.pop(-1 if vy else -2)
    return reshape(out, tuple(s)), 0


def _one_matrix_product(x: Any, y: Any, dx: Any, dy: Any, vx: bool, vy: bool
                        ) -> tuple[Any, int] | None:
    """A plain matrix against a batch of vectors or matrices (batch axes in front): one
    BLAS product over the whole batch, instead of one small product per element (jacrev's
    batched cotangents against a weight matrix take this path). ``None`` for other cases."""
    if dx is None and ndim_of(x) == 2 and vy and ndim_of(y) == 2:  # M @ v_b = v_b @ M^T
        return bind(matmul_p, y, transpose(x)), 0
    if dx is None and ndim_of(x) == 2 and dy is not None and ndim_of(y) == 3:
        # M @ Y_b for every b: the columns of all Y_b side by side, (k, B*n), in one product
        b, k, n = shape_of(y)
        cols = reshape(transpose(y, (1, 0, 2)), (k, b * n))
        return reshape(bind(matmul_p, x, cols), (shape_of(x)[0], b, n)), 1
    if dy is None and ndim_of(y) == 2 and dx is not None and ndim_of(x) in (2, 3):
        # v_b @ M is already one product; rows of every matrix x_b at once against M
        b = shape_of(x)[0]
        flat = x if vx else reshape(x, (-1, shape_of(x)[-1]))
        out = bind(matmul_p, flat, y)
        return (out if vx else reshape(out, (b, -1, shape_of(y)[-1]))), 0
    return None


matmul_p = defprimitive(
    "matmul", np.matmul,
    jvp=[_jvp_x, _jvp_y], vjp=[_vjp_x, _vjp_y], vjp_plain=[_vjp_x_plain, _vjp_y_plain],
    sample=_matmul_sample, complex_sample=_matmul_complex_sample,
    batch=lambda args, dims: _matmul_batch(args, dims),
    doc="Matrix product with NumPy's matmul semantics.",
    saves="args",
)


def matmul(x: Any, y: Any) -> Any:
    """Matrix product ``x @ y`` (1-D operands promoted, batch axes broadcast)."""
    sx, sy = shape_of(x), shape_of(y)
    if not sx or not sy:
        raise ShapeError(f"matmul: operands must be at least 1-D, got shapes {sx} and {sy}; "
                         "use mul for scalars")
    kx = sx[-1]
    ky = sy[0] if len(sy) == 1 else sy[-2]
    if kx != ky:
        raise ShapeError(f"matmul: shapes {sx} and {sy} do not align ({kx} != {ky})")
    return bind(matmul_p, x, y)
