"""A primitive is one unit (a dataclass whose fields ``defprimitive`` takes), and a notebook
cell that defines one can be run again."""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pytest

import dualad as d
from dualad._core.registry import Primitive, Variadic, unregister

CELL = '''
import numpy as np
import dualad as d
prim = d.defprimitive(
    "test_cell_square", np.square,
    jvp=[lambda t, ans, x: 2 * x * t], vjp=[lambda g, ans, x: 2 * x * g],
    sample=lambda rng: d.Example((rng.normal(size=3),), {}))
'''


def test_running_the_same_definition_again_replaces_it_with_a_warning() -> None:
    code = compile(CELL, "<notebook cell 7>", "exec")  # a notebook cell, run twice
    first: dict[str, object] = {}
    second: dict[str, object] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the first run must not warn
            exec(code, first)
        with pytest.warns(UserWarning, match="'test_cell_square'.*replaces"):
            exec(code, second)
        assert d.primitives()["test_cell_square"] is second["prim"]
        assert second["prim"] is not first["prim"]
        assert float(d.grad(second["prim"])(3.0)) == 6.0
    finally:
        unregister("test_cell_square")


def test_the_same_name_from_another_place_still_raises_and_says_where() -> None:
    code = compile(CELL, "<notebook cell 7>", "exec")
    try:
        exec(code, {})
        other = compile(CELL, "<notebook cell 8>", "exec")
        with pytest.raises(ValueError, match=r"'test_cell_square' is already registered "
                                             r"\(defined at <notebook cell 7>:4\); choose another"):
            exec(other, {})
        with pytest.raises(ValueError, match="already registered"):
            d.defprimitive("test_cell_square", np.sin, jvp=[None], vjp=[None])
    finally:
        unregister("test_cell_square")


def test_the_definition_site_is_recorded() -> None:
    line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
    p = d.defprimitive("test_site", np.sin, jvp=[None], vjp=[None])
    try:
        assert p.site == (__file__, line)
    finally:
        unregister("test_site")


def test_defprimitive_takes_exactly_the_fields_of_the_unit() -> None:
    """One list of members: the dataclass's init fields are defprimitive's parameters."""
    assert dataclasses.is_dataclass(Primitive)
    init_fields = [f.name for f in dataclasses.fields(Primitive) if f.init and f.name != "_"]
    assert list(inspect.signature(d.defprimitive).parameters) == init_fields
    assert "vjp_plain" in init_fields
    with pytest.raises(TypeError, match="unexpected keyword"):
        d.defprimitive("test_typo", np.sin, jvp=[None], vjp=[None], vjp_plan=[None])  # type: ignore[call-arg]
    assert "test_typo" not in d.primitives()


def test_primitives_are_hashed_by_identity_and_derive_their_flags() -> None:
    kw = dict(jvp=[None], vjp=[lambda g, ans, x: g], saves="ans")
    a, b = Primitive("same", np.sin, **kw), Primitive("same", np.sin, **kw)  # type: ignore[arg-type]
    assert a != b and len({a: 1, b: 2}) == 2
    assert (a.saves_args, a.saves_ans, a.vjp_arity) == (False, True, 1)
    assert a.plain_rules is None and repr(a) == "Primitive('same')"


@pytest.mark.parametrize("kw, message", [
    ({"vjp": [lambda g, ans, x: g], "vjp_plain": [None, None]}, "vjp_plain= has 2 rules"),
    ({"vjp": [None], "vjp_plain": [lambda g, ans, x: g]}, r"vjp_plain\[0\] is given but vjp\[0\]"),
    ({"vjp": Variadic(lambda i, g, ans, *a: g), "vjp_plain": [None]}, "Variadic"),
    ({"vjp": [None], "saves": "some"}, "saves must be one of"),
    ({}, r"defprimitive\(.test_malformed.\): a VJP rule \(vjp= or vjp_joint=\) is required"),
])
def test_a_malformed_unit_is_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        d.defprimitive("test_malformed", np.sin, jvp=[None], **kw)  # type: ignore[arg-type]
    assert "test_malformed" not in d.primitives()


def test_none_in_vjp_plain_falls_back_to_the_traced_rule() -> None:
    def rule(g: object, ans: object, x: object, y: object) -> object:
        return g

    p = Primitive("fallback", np.add, jvp=[None, None], vjp=[rule, rule],
                  vjp_plain=[None, lambda g, ans, x, y: g])
    assert p.plain_rules is not None and p.plain_rules[0] is rule


def test_a_traced_float_at_a_nondiff_argnum_raises_in_both_modes() -> None:
    """``nondiff_argnums`` drops masks and indices; a float that depends on the inputs there
    must raise in reverse mode as it does in forward mode, never give a silent zero."""
    import dualad.numpy as dnp
    from dualad._core.levels import bind

    p = d.defprimitive("scale_by_nondiff_test", lambda x, s: x * s,
                       jvp=[lambda t, ans, x, s: t * s, None], vjp=[lambda g, ans, x, s: g * s, None],
                       nondiff_argnums=(1,))
    try:
        f = lambda s: d.sum(bind(p, np.ones(3), s))  # noqa: E731
        for mode in ("reverse", "forward"):
            with pytest.raises(d.NonDifferentiableError, match="argument 1"):
                d.grad(f, mode=mode)(2.0)
        s = d.Tensor(2.0, requires_grad=True)
        with pytest.raises(d.NonDifferentiableError, match="argument 1"):
            bind(p, np.ones(3), s)
        np.testing.assert_array_equal(d.grad(lambda x: d.sum(bind(p, x, 2.0)))(np.ones(3)), [2.0] * 3)
        # an integer (an index, a mask) at that position is dropped, as before
        g = d.grad(lambda x: d.sum(bind(p, x, dnp.argmax(x))))(np.arange(3.0))
        np.testing.assert_array_equal(g, [2.0] * 3)  # argmax = 2
    finally:
        unregister("scale_by_nondiff_test")
