"""``Optimizer``: the base of the optimizers, holding parameter groups and per-parameter state.

Updates run in place on each parameter's NumPy array (``p.data``) from its ``p.grad``, with
plain NumPy: no graph is recorded and no new parameter objects are created.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from dualad.engines.tensor import Tensor
from dualad.nn.module import Parameter
from dualad.ops._util import column_major

__all__ = ["Optimizer", "ParamGroup", "grad_array"]


def grad_array(g: Any) -> np.ndarray:
    """A parameter's ``.grad`` as the array an update reads (a differentiable gradient left
    by ``backward(create_graph=True)`` is read at its value, as PyTorch's optimizers do)."""
    return np.asarray(g._value) if isinstance(g, Tensor) else np.asarray(g)

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
                    yield p, grad_array(g), group

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (set it to ``None``), before the next ``backward``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.requires_grad:
                    p.grad = None

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        Args:
            closure: optional function that clears the gradients, recomputes the loss,
                calls ``backward()`` and returns the loss; it is called first.

        Returns:
            The closure's loss, or ``None`` without a closure.
        """
        loss = closure() if closure is not None else None
        for p, g, group in self._params_with_grad():
            param = p.data
            self._update(param, _in_layout_of(param, g), self.state.setdefault(p, {}), group)
        return loss

    # ------------------------------------------------------------------ saved state
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data, in PyTorch's layout: **copies**, so later
        steps do not change it.

        ``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]}``,
        where parameters are numbered in group order (their objects are not saved).

        Examples:
            >>> import numpy as np
            >>> from dualad import nn, optim
            >>> w = nn.Parameter(np.array([1.0]))
            >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
            >>> (w * w).sum().backward(); opt.step()
            >>> sd = opt.state_dict()
            >>> sd["state"], sd["param_groups"][0]["params"]
            ({0: {'momentum_buffer': array([2.])}}, [0])
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [{**{k: copy.deepcopy(v) for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by :meth:`state_dict`.

        The optimizer must have been built on the same parameters, in the same groups; the
        values are copied (floating arrays cast to each parameter's dtype).

        Raises:
            ValueError: the groups or their sizes differ from the saved ones.
        """
        name = f"{type(self).__name__}.load_state_dict"
        saved = list(state_dict["param_groups"])
        if [len(g["params"]) for g in saved] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(
                f"{name}: the saved state has groups of sizes "
                f"{[len(g['params']) for g in saved]}, this optimizer "
                f"{[len(g['params']) for g in self.param_groups]}; build it on the same "
                "parameters, in the same groups, as the one that was saved")
        params = {i: p for g_saved, g in zip(saved, self.param_groups)
                  for i, p in zip(g_saved["params"], g["params"])}
        self.state = {params[int(i)]: {k: _cast_like(params[int(i)], v) for k, v in s.items()}
                      for i, s in state_dict["state"].items()}
        for g_saved, g in zip(saved, self.param_groups):
            g.update({k: copy.deepcopy(v) for k, v in g_saved.items() if k != "params"})

    def _all_params(self) -> Iterator[Parameter]:
        return (p for g in self.param_groups for p in g["params"])

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        """Update ``param`` in place from ``grad``; ``state`` persists between steps."""
        raise NotImplementedError


def _cast_like(param: Parameter, value: Any) -> Any:
    """A copy of a saved state entry; floating arrays in the parameter's dtype."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.array(value, dtype=param.dtype, copy=True)
    return copy.deepcopy(value)


def _in_layout_of(param: np.ndarray, grad: Any) -> np.ndarray:
    """``grad`` in the memory layout of ``param``: at most one copy, when the layouts differ.

    The several elementwise passes of an update run ~5x slower on arrays of different
    layouts (e.g. a C-ordered gradient for ``nn.Linear``'s column-major weight).
    """
    g = np.asarray(grad)  # (not np.ascontiguousarray: it turns a 0-d gradient into shape (1,))
    if column_major(param):
        return g if g.flags.f_contiguous else np.asfortranarray(g)
    return g if g.flags.c_contiguous else np.ascontiguousarray(g)
