"""Forward hooks of modules: ``register_forward_pre_hook`` and ``register_forward_hook``.

A module without hooks calls ``forward`` directly (one attribute test per call); hooks live
in a small table object rather than a dict, so the parameter walk of ``Module`` never looks
into them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from dualad.engines.grad_hooks import RemovableHandle

__all__ = ["ForwardHooks", "HookTable"]

_ids = itertools.count()


class HookTable:
    """Hooks in call order: ``(id, hook, with_kwargs)``."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[int, Callable[..., Any], bool]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, hook: Callable[..., Any], with_kwargs: bool, prepend: bool) -> RemovableHandle:
        key = next(_ids)
        entry = (key, hook, with_kwargs)
        if prepend:
            self.items.insert(0, entry)
        else:
            self.items.append(entry)

        def remove() -> None:
            self.items = [e for e in self.items if e[0] != key]

        return RemovableHandle(remove)


_NO_HOOKS = HookTable()  # what a module without hooks sees (never added to)


class ForwardHooks:
    """Mixin of ``Module``: the forward hooks and the call that runs them."""

    _forward_pre_hooks: HookTable = _NO_HOOKS
    _forward_hooks: HookTable = _NO_HOOKS
    forward: Callable[..., Any]

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``.

        The hook may return new positional arguments (a tuple, or a single value that is
        then the only argument), or ``None`` to keep them. With ``with_kwargs=True`` it is
        called as ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``.

        Args:
            hook: the function to call.
            prepend: run it before the hooks registered earlier (default: after).
            with_kwargs: pass (and let it replace) the keyword arguments too.

        Returns:
            A handle whose ``remove()`` unregisters the hook.
        """
        _check_hook(self, hook, "register_forward_pre_hook")
        if self._forward_pre_hooks is _NO_HOOKS:
            self._forward_pre_hooks = HookTable()
        return self._forward_pre_hooks.add(hook, with_kwargs, prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``.

        The hook may return a replacement output, or ``None`` to keep it. With
        ``with_kwargs=True`` it is called as ``hook(module, args, kwargs, output)``.

        Args:
            hook: the function to call.
            prepend: run it before the hooks registered earlier (default: after).
            with_kwargs: pass the keyword arguments too.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Examples:
            >>> import numpy as np
            >>> from dualad import nn
            >>> seen = []
            >>> layer = nn.Linear(3, 2)
            >>> h = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
            >>> _ = layer(np.ones((4, 3)))
            >>> seen
            [(4, 2)]
            >>> h.remove()
        """
        _check_hook(self, hook, "register_forward_hook")
        if self._forward_hooks is _NO_HOOKS:
            self._forward_hooks = HookTable()
        return self._forward_hooks.add(hook, with_kwargs, prepend)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        for _, hook, with_kwargs in list(self._forward_pre_hooks.items):
            if with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise TypeError(
                            f"forward pre-hook {_name(hook)} (with_kwargs=True) must return "
                            f"None or a tuple (args, kwargs), got {type(new).__name__}")
                    args, kwargs = new
                    args = args if isinstance(args, tuple) else (args,)
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for _, hook, with_kwargs in list(self._forward_hooks.items):
            new = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if new is not None:
                out = new
        return out


def _check_hook(module: Any, hook: Any, method: str) -> None:
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}(hook): hook must be callable, "
                        f"got {hook!r}")


def _name(hook: Any) -> str:
    return str(getattr(hook, "__name__", repr(hook)))
