"""``Optimizer``: the base of the optimizers, holding parameter groups and per-parameter state.

Updates run in place on each parameter's NumPy array (``p.data``) from its ``p.grad``, with
plain NumPy: no graph is recorded and no new parameter objects are created.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from dualad.nn.module import Parameter
from dualad.ops._util import column_major

__all__ = ["Optimizer", "ParamGroup"]

ParamGroup = dict[str, Any]
"""A group: ``{"params": [Parameter, ...], "lr": ..., <other hyperparameters>}``."""


class Optimizer:
    """Base class: parameter groups with their own hyperparameters, and per-parameter state.

    Args:
        params: an iterable of parameters (e.g. ``model.parameters()``), or of dicts
            ``{"params": [...], "lr": 0.01, ...}`` whose entries override ``defaults``.
        defaults: hyperparameters of groups that do not set them.

    Subclasses implement :meth:`_update`, called for each parameter that has a gradient.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[ParamGroup] = []
        self.state: dict[Parameter, dict[str, Any]] = {}
        items = list(params)
        if not items:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)  # type: ignore[arg-type]

    def add_param_group(self, group: ParamGroup) -> None:
        """Add a group of parameters, with hyperparameters defaulting to the optimizer's."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        params = [group["params"]] if isinstance(group["params"], Parameter) else list(group["params"])
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__} optimizes Parameters (e.g. model.parameters()), got a "
                    f"{type(p).__name__}"
                )
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
            seen.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown hyperparameters {sorted(unknown)}")
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group: ParamGroup) -> None:
        """Validate a group's hyperparameters (subclasses extend it)."""
        if group["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be >= 0, got {group['lr']}")

    def _params_with_grad(self) -> Iterator[tuple[Parameter, np.ndarray, ParamGroup]]:
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is not None:
                    yield p, g, group

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (set it to ``None``), before the next ``backward``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.requires_grad:
                    p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for p, g, group in self._params_with_grad():
            param = p.data
            self._update(param, _in_layout_of(param, g), self.state.setdefault(p, {}), group)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        """Update ``param`` in place from ``grad``; ``state`` persists between steps."""
        raise NotImplementedError


def _in_layout_of(param: np.ndarray, grad: Any) -> np.ndarray:
    """``grad`` in the memory layout of ``param``: at most one copy, when the layouts differ.

    The several elementwise passes of an update run ~5x slower on arrays of different
    layouts (e.g. a C-ordered gradient for ``nn.Linear``'s column-major weight).
    """
    if column_major(param):
        return np.asfortranarray(grad)
    return np.ascontiguousarray(grad)
