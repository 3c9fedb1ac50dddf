"""``einsum``: any subscripts, with implicit output, ellipses and broadcasting.

The wrapper rewrites every call to one canonical form -- explicit output, each ellipsis
replaced by letters, size-1 axes broadcast -- so the primitive only ever sees subscripts
like ``"ij,jk->ik"`` where every letter has one size.

Rules, for operand ``i``:

* JVP: the same einsum with the tangent in place of operand ``i``, its batch axis carried
  by a fresh letter in front of both that operand's and the output's subscripts.
* VJP: an einsum of the output cotangent with the other operands that produces operand
  ``i``'s subscripts. Two things need care. A letter repeated in operand ``i`` (a diagonal,
  as in ``"ii->"``) cannot be repeated in an output, so each repeat gets a fresh letter tied
  to the first by an identity matrix. A letter found only in operand ``i`` (an axis summed
  out, as ``j`` in ``"ij->i"``) gets a vector of ones, which broadcasts the cotangent along it.
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import numpy as np

from dualad._core.errors import ShapeError
from dualad._core.levels import bind, primal
from dualad._core.registry import Example, Primitive, Variadic, defprimitive
from dualad.ops._batching_axes import to_front
from dualad.ops._complex_samples import with_imaginary_parts
from dualad.ops._sampling import draw
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.complex import conj
from dualad.ops.shape import broadcast_to

LETTERS = string.ascii_letters


def _split(subscripts: str) -> tuple[list[str], str]:
    ins, out = subscripts.split("->")
    return ins.split(","), out


def _fresh(used: str, count: int) -> str:
    free = [c for c in LETTERS if c not in used]
    if len(free) < count:
        raise ShapeError("einsum: too many distinct indices to differentiate (at most 52 letters)")
    return "".join(free[:count])


def _path(n_operands: int, optimize: Any) -> Any:
    return "greedy" if n_operands > 2 and optimize is False else optimize


def _einsum_jvp(i: int, t: Any, ans: Any, *operands: Any, subscripts: str, optimize: Any) -> Any:
    terms, out = _split(subscripts)
    z = _fresh(subscripts, 1)
    terms[i] = z + terms[i]
    ops = list(operands)
    ops[i] = t
    return bind(einsum_p, *ops, subscripts=",".join(terms) + "->" + z + out, optimize=optimize)


def _einsum_vjp(i: int, g: Any, ans: Any, *operands: Any, subscripts: str, optimize: Any) -> Any:
    terms, out = _split(subscripts)
    target = terms[i]
    sizes = dict(zip(target, shape_of(operands[i])))
    dtype = dtype_of(g)
    fresh = iter(_fresh(subscripts, len(target)))
    new_terms, ops = [out], [g]
    for j, (term, op) in enumerate(zip(terms, operands)):
        if j != i:  # conjugated: the adjoint for complex values (free on real ones)
            new_terms.append(term)
            ops.append(conj(op))
    result = ""
    for c in target:  # a repeated letter: a fresh letter tied to the first by the identity
        if c in result:
            f = next(fresh)
            new_terms.append(c + f)
            ops.append(np.eye(sizes[c], dtype=dtype))
            result += f
        else:
            result += c
    covered = set("".join(new_terms))
    for c in dict.fromkeys(target):  # a letter only operand i has: broadcast along it
        if c not in covered:
            new_terms.append(c)
            ops.append(np.ones(sizes[c], dtype=dtype))
    spec = ",".join(new_terms) + "->" + result
    return bind(einsum_p, *ops, subscripts=spec, optimize=_path(len(ops), optimize))


_CASES: list[tuple[str, list[tuple[int, ...]]]] = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,ij->", [(2, 3), (2, 3)]), ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]), ("ij->", [(2, 3)]), ("i,j->ij", [(3,), (2,)]), ("ij->ji", [(2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ijk,kj->i", [(2, 3, 4), (4, 3)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 2), (2, 4)]), ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("i,i,i->i", [(3,), (3,), (3,)]), ("ij,k->kji", [(2, 3), (2,)]),
]


def _einsum_sample(rng: np.random.Generator) -> Example:
    spec, shapes = _CASES[rng.integers(len(_CASES))]
    return Example(tuple(np.asarray(draw(rng, s)) for s in shapes), {"subscripts": spec, "optimize": False})


def _einsum_batch(args: Any, dims: Any, *, subscripts: str, optimize: Any) -> tuple[Any, int]:
    """A fresh letter for the batch axis, in front of the batched operands and the output."""
    terms, out = _split(subscripts)
    z = _fresh(subscripts, 1)
    terms = [term if d is None else z + term for term, d in zip(terms, dims)]
    ops = [to_front(x, d) for x, d in zip(args, dims)]
    return bind(einsum_p, *ops, subscripts=",".join(terms) + "->" + z + out, optimize=optimize), 0


einsum_p: Primitive = defprimitive(
    "einsum", lambda *ops, subscripts, optimize: np.einsum(subscripts, *ops, optimize=optimize),
    jvp=Variadic(_einsum_jvp), vjp=Variadic(_einsum_vjp), sample=_einsum_sample, batch=_einsum_batch,
    doc="Einstein summation over canonical explicit subscripts (see dualad.ops.einsum.einsum).",
)


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """Convert NumPy's interleaved form einsum(op0, sub0, op1, sub1, ..., [out]) to a string."""

    def letters(sub: Any) -> str:
        return "".join("..." if s is Ellipsis else LETTERS[int(s)] for s in sub)

    ops, terms = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = None
    if len(args) % 2:
        out = letters(ops.pop())
    spec = ",".join(terms) + ("" if out is None else "->" + out)
    return spec, ops


def canonical_subscripts(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[str, dict[str, int]]:
    """Explicit subscripts without ellipses, and each letter's (broadcast) size."""
    spec = subscripts.replace(" ", "")
    ins, _, out = spec.partition("->")
    explicit = "->" in spec
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum: {len(terms)} operand subscripts in {subscripts!r} but "
                         f"{len(shapes)} operands")
    bad = set(spec) - set(LETTERS) - set(",.->")
    if bad:
        raise ShapeError(f"einsum: invalid subscript characters {sorted(bad)} in {subscripts!r}")
    n_ell = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if ("..." in term and named > len(shape)) or ("..." not in term and named != len(shape)):
            raise ShapeError(f"einsum: subscripts {term!r} do not match an operand of shape {shape}")
        n_ell.append(len(shape) - named)
    ell = _fresh(spec, max(n_ell, default=0))
    terms = [t.replace("...", ell[len(ell) - k:]) for t, k in zip(terms, n_ell)]
    if not explicit:  # NumPy: broadcast axes first, then the letters used once, in ASCII order
        counts = Counter(ins.replace(",", "").replace(".", ""))
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    elif "..." in out:
        out = out.replace("...", ell)
    elif ell:
        raise ShapeError(f"einsum: {subscripts!r} has broadcast '...' dimensions but its output "
                         "does not say where they go; add '...' to the output")
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ShapeError(f"einsum: index {c!r} has sizes {sizes[c]} and {n} in {subscripts!r}")
            if sizes.get(c, 1) == 1:  # a size-1 axis broadcasts to any size, 0 included
                sizes[c] = n
    for c in out:
        if c not in sizes or out.count(c) > 1:
            raise ShapeError(f"einsum: output index {c!r} of {subscripts!r} is repeated or not an "
                             "input index")
    return ",".join(terms) + "->" + out, sizes


def einsum(*operands: Any, optimize: Any = False) -> Any:
    """Einstein summation, differentiable in every operand; see ``numpy.einsum``.

    Accepts NumPy's string form (implicit or explicit output, ``...`` ellipses, size-1
    broadcasting) and its interleaved form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Examples:
        >>> import numpy as np, dualad
        >>> a = np.arange(6.0).reshape(2, 3)
        >>> float(dualad.grad(lambda m: einsum("ij,ij", m, m))(a)[1, 2])
        10.0
    """
    if operands and isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _from_sublists(operands)
    shapes = [shape_of(o) for o in ops]
    spec, sizes = canonical_subscripts(subscripts, shapes)
    terms, _ = _split(spec)
    for k, (term, op) in enumerate(zip(terms, ops)):
        want = tuple(sizes[c] for c in term)
        if shape_of(op) != want:  # NumPy broadcasts size-1 axes; do it before the primitive
            ops[k] = broadcast_to(op, want)
    return bind(einsum_p, *ops, subscripts=spec, optimize=primal(optimize))


# Multilinear, so the rules above hold for complex values too: check them on complex inputs.
for _prim in (einsum_p,):
    assert _prim.sample is not None
    _prim.complex_sample = with_imaginary_parts(_prim.sample)
