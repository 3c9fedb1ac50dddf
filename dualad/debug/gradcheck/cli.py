"""The command line: ``python -m dualad.debug.gradcheck path/to/file.py:function --shape 3,4 --seed 0``.

Draws one random input per ``--shape`` (uniform in ``[--low, --high]``), runs
:func:`~dualad.debug.gradcheck.gradcheck` and prints its report. Exit status: 0 when every check
passes (inconclusive checks at kinks are printed as notes), 1 when a check fails, 2 for bad
usage -- a missing file or function, a malformed ``--shape``, a function that cannot be
called with those shapes -- with a one-paragraph message and no traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import inspect
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dualad.debug.gradcheck.check import gradcheck, leaf_names
from dualad.debug.gradcheck.report import GradcheckError, GradcheckWarning

__all__ = ["main", "parse_shape"]


class UsageError(Exception):
    """Bad usage: reported in one message, exit status 2."""


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3,4"`` -> ``(3, 4)``; ``"3"`` -> ``(3,)``; ``"scalar"``, ``"()"`` or ``""`` -> ``()``.

    Examples:
        >>> from dualad.debug.gradcheck.cli import parse_shape
        >>> parse_shape("3,4"), parse_shape("scalar")
        ((3, 4), ())
    """
    cleaned = text.strip().strip("()").replace("x", ",").replace(" ", "")
    if cleaned in ("", "scalar"):
        return ()
    try:
        dims = tuple(int(d) for d in cleaned.strip(",").split(","))
    except ValueError:
        dims = (-1,)
    if any(d < 0 for d in dims):
        raise argparse.ArgumentTypeError(
            f"bad shape {text!r}: expected comma-separated non-negative integers such as 3,4 "
            "(or 'scalar')")
    return dims


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dualad.debug.gradcheck",
        description="Check a function's derivatives against finite differences; on failure, "
                    "name the primitive whose rule is wrong and the line that called it.")
    p.add_argument("target", metavar="FILE.py:FUNCTION", help="the function to check")
    p.add_argument("--shape", action="append", type=parse_shape, default=None, metavar="3,4",
                   help="shape of one positional argument (repeat for several; 'scalar' for ()). "
                        "Default: one scalar per required positional parameter")
    p.add_argument("--seed", type=int, default=0, help="seed for the inputs and the directions")
    p.add_argument("--order", type=int, default=1, choices=[1, 2, 3], help="highest derivative order")
    p.add_argument("--mode", choices=["forward", "reverse", "both"], default="both")
    p.add_argument("--full", action="store_true", help="compare whole Jacobians (small inputs)")
    p.add_argument("--low", type=float, default=-2.0, help="inputs are uniform in [low, high]")
    p.add_argument("--high", type=float, default=2.0)
    p.add_argument("--eps", type=float, default=None, help="finite-difference step")
    p.add_argument("--atol", type=float, default=None)
    p.add_argument("--rtol", type=float, default=None)
    return p


def _where(exc: BaseException, path: str) -> str:
    """`` (at file:line)`` for the innermost frame of ``exc`` in the user's file."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def load_function(target: str) -> tuple[Callable[..., Any], str]:
    """Import ``FILE.py:FUNCTION``; ``UsageError`` with a clear message if anything is missing."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location("_dualad_gradcheck_target", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise UsageError(f"importing {path} raised {type(e).__name__}: {e}{_where(e, path)}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        functions = [k for k, v in vars(module).items()
                     if inspect.isfunction(v) and v.__module__ == module.__name__]
        close = difflib.get_close_matches(name, functions, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        available = ", ".join(functions) or "none"
        what = "no function" if fn is None else "an attribute that is not callable:"
        raise UsageError(f"{path} has {what} {name!r}.{hint} Functions defined there: {available}")
    return fn, path


def _default_shapes(fn: Callable[..., Any]) -> list[tuple[int, ...]]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return [()]
    required = [p for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [()] * max(len(required), 1)


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, check, print; the exit status (``UsageError`` for bad usage)."""
    args = _parser().parse_args(argv)
    fn, path = load_function(args.target)
    shapes = args.shape if args.shape else _default_shapes(fn)
    if args.low >= args.high:
        raise UsageError(f"--low ({args.low}) must be below --high ({args.high})")
    rng = np.random.default_rng(args.seed)
    inputs = [np.asarray(rng.uniform(args.low, args.high, size=s)) for s in shapes]
    names = leaf_names(tuple(inputs), fn)
    described = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
    print(f"gradcheck {args.target}: inputs {described} uniform in [{args.low:g}, {args.high:g}], "
          f"seed {args.seed}, order {args.order}")
    modes = ("forward", "reverse") if args.mode == "both" else (args.mode,)
    try:
        fn(*inputs)
    except Exception as e:
        raise UsageError(f"calling {fn.__name__} with inputs of shapes {shapes} raised "
                         f"{type(e).__name__}: {e}{_where(e, path)}") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GradcheckWarning)
        try:
            result = gradcheck(fn, *inputs, modes=modes, order=args.order, eps=args.eps,
                               atol=args.atol, rtol=args.rtol, seed=args.seed, full=args.full)
        except GradcheckError as err:
            print(err)
            print("FAILED")
            return 1
        except Exception as e:  # the derivatives themselves cannot be computed
            print(f"differentiating {fn.__name__} raised {type(e).__name__}: {e}{_where(e, path)}")
            print("FAILED")
            return 1
    print(result)
    others = [w for w in caught if not issubclass(w.category, GradcheckWarning)]
    for w in others:
        print(f"warning: {w.message}")
    if result.inconclusive:
        print(f"PASSED, with {len(result.inconclusive)} inconclusive check(s) at kinks (see notes)")
    else:
        print(f"PASSED ({len(result.passed)} checks)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m dualad.debug.gradcheck``; returns the exit status."""
    try:
        return run(argv)
    except UsageError as e:
        print(f"python -m dualad.debug.gradcheck: error: {e}", file=sys.stderr)
        return 2
