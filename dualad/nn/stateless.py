"""``functional_call``: run a Module with some of its parameters (and buffers) replaced.

Like ``torch.func.functional_call``: the module's own parameters are swapped for the values of
a dict for the duration of one call and put back afterwards (also when the call raises), so a
Module's loss becomes a function of a dict of parameters that ``grad``, ``vmap``, ``jvp``,
``hessian``, ... can differentiate and batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dualad.nn.module import Module, StateDictError
from dualad.nn.parameter import Parameter

__all__ = ["functional_call"]

Slot = tuple[Callable[[], Any], Callable[[Any], None]]  # (get, set) of one parameter or buffer


def functional_call(module: Module, params: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``module(*args, **kwargs)`` with ``params[name]`` in place of each named parameter/buffer.

    Args:
        module: the model.
        params: values by the names of ``module.named_parameters()`` (and of its buffers,
            ``state_dict()`` keys); arrays or traced values. Names not given keep the module's
            own values.
        *args: passed to the module.
        **kwargs: passed to the module.

    Returns:
        What the module returns. Its parameters are restored afterwards, even on an error.

    Raises:
        StateDictError: a name that is not one of the module's parameters or buffers.

    Examples:
        >>> import numpy as np, dualad
        >>> from dualad import nn
        >>> model = nn.Linear(3, 1)
        >>> params = {k: p.detach().numpy() for k, p in model.named_parameters()}
        >>> loss = lambda p, x: dualad.sum(nn.functional_call(model, p, x) ** 2)
        >>> grads = dualad.grad(loss)(params, np.ones((4, 3)))
        >>> sorted(grads), grads["weight"].shape
        (['bias', 'weight'], (1, 3))
    """
    slots = _slots(module)
    unknown = sorted(set(params) - set(slots))
    if unknown:
        raise StateDictError(
            f"functional_call: {unknown} are not parameters or buffers of "
            f"{type(module).__name__}; its names are {sorted(slots)}")
    saved = {name: slots[name][0]() for name in params}
    try:
        for name, value in params.items():
            slots[name][1](value)
        return module(*args, **kwargs)
    finally:
        for name, value in saved.items():
            slots[name][1](value)


def _slots(module: Module) -> dict[str, Slot]:
    """Where each parameter and buffer of ``module`` lives, by name. A parameter held in
    several places (tied weights, a module used twice) is one slot under each of its names:
    replacing it replaces it everywhere, as the module itself would see it."""
    found: list[tuple[str, Any, Slot]] = []
    for prefix, owner in module.named_modules():
        base = f"{prefix}." if prefix else ""
        buffers = set(vars(owner).get("_buffer_names", ()))
        for attr, value in Module._named_attrs(owner):
            if isinstance(value, Parameter) or (isinstance(value, np.ndarray) and attr in buffers):
                found.append((base + attr, value, _attribute(owner, attr)))
            elif isinstance(value, (list, dict)):
                _items(found, base + attr, value)
    places: dict[int, list[Slot]] = {}
    for _, value, slot in found:
        places.setdefault(id(value), []).append(slot)
    out: dict[str, Slot] = {}
    for name, value, _ in found:
        if name not in out:
            out[name] = _everywhere(places[id(value)])
    return out


def _everywhere(slots: list[Slot]) -> Slot:
    get = slots[0][0]

    def put(v: Any) -> None:
        for _, set_one in slots:
            set_one(v)

    return get, put


def _attribute(owner: Module, attr: str) -> Slot:
    return (lambda: getattr(owner, attr)), (lambda v: setattr(owner, attr, v))


def _items(found: list[tuple[str, Any, Slot]], name: str, box: list[Any] | dict[Any, Any]) -> None:
    """Parameters kept in a list or dict attribute (named ``attr.0``, ``attr.key``)."""
    keys = range(len(box)) if isinstance(box, list) else list(box)
    for k in keys:
        value = box[k]
        if isinstance(value, Parameter):
            def get(k: Any = k) -> Any:
                return box[k]

            def put(v: Any, k: Any = k) -> None:
                box[k] = v

            found.append((f"{name}.{k}", value, (get, put)))
        elif isinstance(value, (list, dict)):
            _items(found, f"{name}.{k}", value)
