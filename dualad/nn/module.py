"""``Module`` and ``Parameter``: the building blocks of neural networks on the reverse engine.

A :class:`~dualad.nn.parameter.Parameter` is a leaf ``Tensor`` that requires grad (defined in
:mod:`dualad.nn.parameter`, re-exported here). A :class:`Module` finds its
parameters, buffers and submodules by looking at its attributes -- directly, or inside
lists, tuples and dicts -- so no registration call is needed::

    self.fc = Linear(4, 2)            # -> "fc.weight", "fc.bias"
    self.blocks = [Linear(2, 2)]      # -> "blocks.0.weight", ...

State is saved to ``.npz`` files with ``allow_pickle=False``: loading a model never runs code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from dualad._core.errors import DualadError, ShapeError
from dualad.nn.module_hooks import ForwardHooks
from dualad.nn.parameter import Parameter
from dualad.nn.serialization import load_npz, save_npz

__all__ = ["IncompatibleKeys", "Module", "Parameter", "StateDictError"]


class StateDictError(DualadError, KeyError):
    """``load_state_dict`` got missing or unexpected keys (both lists are in the message)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list[str]
    unexpected_keys: list[str]


# A member of a module as seen by the walk: (dotted name, owning module, attribute value).
_Member = tuple[str, "Module", Any]


class Module(ForwardHooks):
    """Base class of layers and models: parameters, submodules, modes and saved state.

    Subclasses set parameters and submodules as attributes in ``__init__`` and implement
    ``forward``; calling the module calls ``forward``. Plain NumPy arrays that are part of the
    state but not trained (running statistics) are declared with :meth:`register_buffer`.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import Module, Parameter
        >>> class Scale(Module):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.s = Parameter(np.array([2.0]))
        ...     def forward(self, x):
        ...         return x * self.s
        >>> m = Scale()
        >>> [name for name, _ in m.named_parameters()]
        ['s']
        >>> m(np.array([3.0]))
        Tensor([6.], requires_grad=True)
    """

    training: bool

    def __init__(self) -> None:
        self.training = True
        self._buffer_names: list[str] = []

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _check_init(self) -> None:
        if "_buffer_names" not in vars(self):
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before setting "
                "parameters or submodules"
            )

    # ------------------------------------------------------------------ discovery
    def _direct_members(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of the attributes that may hold parameters, buffers or submodules.

        Containers such as ``Sequential`` override this to name their items ``"0"``, ``"1"``...
        """
        return iter(vars(self).items())

    def _walk(self, recurse: bool = True) -> Iterator[_Member]:
        """Every Parameter, buffer and Module reachable from here, in attribute order.

        Iterative (an explicit stack). A module shared by several parents is reported under
        each name (as PyTorch's ``state_dict`` does); a module that contains itself, directly
        or not, is not entered again, so cycles cannot loop.
        """
        self._check_init()
        root: frozenset[int] = frozenset({id(self)})
        stack: list[tuple[str, Module, tuple[str, Any], bool, frozenset[int]]] = [
            ("", self, v, True, root) for v in reversed(list(self._named_attrs(self)))
        ]
        while stack:
            prefix, owner, (name, value), is_attr, ancestors = stack.pop()
            full = f"{prefix}{name}"
            if isinstance(value, Parameter):
                yield full, owner, value
            elif isinstance(value, Module):
                yield full, owner, value
                if recurse and id(value) not in ancestors:
                    value._check_init()
                    inner = ancestors | {id(value)}
                    stack.extend((full + ".", value, v, True, inner)
                                 for v in reversed(list(self._named_attrs(value))))
            elif isinstance(value, np.ndarray) and is_attr and name in owner._buffer_names:
                yield full, owner, value
            elif isinstance(value, (list, tuple)):
                stack.extend((full + ".", owner, (str(i), v), False, ancestors)
                             for i, v in reversed(list(enumerate(value))))
            elif isinstance(value, dict):
                stack.extend((full + ".", owner, (str(k), v), False, ancestors)
                             for k, v in reversed(list(value.items())))

    @staticmethod
    def _named_attrs(module: Module) -> Iterator[tuple[str, Any]]:
        return ((k, v) for k, v in module._direct_members() if k != "_buffer_names")

    def named_parameters(self, remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` for every parameter, this module's and its submodules'.

        Args:
            remove_duplicate: report a parameter shared by several modules only once.
        """
        seen: set[int] = set()
        for name, _, value in self._walk():
            if isinstance(value, Parameter):
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield name, value

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter once (what an optimizer is given)."""
        return (p for _, p in self.named_parameters())

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(dotted name, array)`` for every buffer registered with :meth:`register_buffer`."""
        return ((n, v) for n, _, v in self._walk() if isinstance(v, np.ndarray))

    def buffers(self) -> Iterator[np.ndarray]:
        """Every buffer (state that is saved but not trained, e.g. running statistics)."""
        return (b for _, b in self.named_buffers())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, submodule)`` for the immediate submodules."""
        seen: set[int] = set()
        for name, _, value in self._walk(recurse=False):
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        """The immediate submodules."""
        return (m for _, m in self.named_children())

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (name ``""``) and every submodule, once."""
        yield "", self
        seen = {id(self)}
        for name, _, value in self._walk():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, once each."""
        return (m for _, m in self.named_modules())

    def register_buffer(self, name: str, value: Any) -> None:
        """Store ``value`` as ``self.<name>``: a NumPy array saved in ``state_dict``, not trained.

        Reassigning the attribute later (``self.running_mean = new``) keeps it a buffer.
        """
        self._check_init()
        if not name.isidentifier() or "." in name:
            raise ValueError(f"register_buffer: {name!r} is not a valid attribute name")
        setattr(self, name, np.asarray(value))
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Put this module and every submodule in training mode (or eval mode if ``mode`` is
        False); returns ``self``. Affects layers such as Dropout and BatchNorm."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and every submodule in evaluation mode; returns ``self``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Clear the ``.grad`` of every parameter (set it to ``None``)."""
        for p in self.parameters():
            if p.requires_grad:
                p.grad = None

    def requires_grad_(self, flag: bool = True) -> Module:
        """Freeze (``False``) or unfreeze every parameter; returns ``self``."""
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule and on this module; returns ``self``."""
        for m in list(self.modules())[::-1]:
            fn(m)
        return self

    def to(self, dtype: Any) -> Module:
        """Convert every floating point parameter and buffer to ``dtype`` (gradients cleared)."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            if p.dtype.kind == "f":
                p.data = p.data.astype(dtype)
                if p.requires_grad:
                    p.grad = None
        for name, owner, value in list(self._walk()):
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                setattr(owner, name.rsplit(".", 1)[-1], value.astype(dtype))
        return self

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer by dotted name, as **copies** (later training does not
        change a saved state)."""
        state: dict[str, np.ndarray] = {}
        for name, _, value in self._walk():
            if isinstance(value, Parameter):
                state[name] = np.array(value.data, copy=True)
            elif isinstance(value, np.ndarray):
                state[name] = np.array(value, copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state`` into the parameters and buffers, in place.

        Values are cast to each parameter's dtype. Nothing is changed unless every shape
        matches (and, if ``strict``, every key matches).

        Args:
            state: mapping from dotted names (as in :meth:`state_dict`) to arrays.
            strict: raise :class:`StateDictError` on missing or unexpected keys.

        Returns:
            The keys that did not match (both lists empty when ``strict`` succeeds).

        Raises:
            StateDictError: ``strict`` and keys are missing or unexpected.
            ShapeError: a value's shape differs from the parameter's or buffer's.
        """
        targets = {n: (o, v) for n, o, v in self._walk() if not isinstance(v, Module)}
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            raise StateDictError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, unexpected "
                f"keys {unexpected}. Check that the state comes from the same architecture, or "
                "pass strict=False to load the matching keys only."
            )
        updates = []
        for name, (_, target) in targets.items():
            if name not in state:
                continue
            value = np.asarray(state[name])
            shape = target.shape
            if value.shape != shape:
                raise ShapeError(
                    f"load_state_dict: {name!r} has shape {value.shape} in the state but "
                    f"{shape} in the model"
                )
            updates.append((target, value))
        for target, value in updates:
            np.copyto(target.data if isinstance(target, Parameter) else target, value,
                      casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` to a ``.npz`` file without pickle (``.npz`` is appended to
        ``path`` if missing); returns the path written."""
        return save_npz(path, self.state_dict())

    def load(self, path: str | os.PathLike[str], strict: bool = True) -> IncompatibleKeys:
        """Load a state written by :meth:`save` (never unpickles: ``allow_pickle=False``)."""
        return self.load_state_dict(load_npz(path), strict=strict)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """Constructor arguments shown by ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        kids = [(n, m) for n, _, m in self._walk(recurse=False) if isinstance(m, Module)]
        for name, child in kids:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + ("\n)" if kids else ")")
