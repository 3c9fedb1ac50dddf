"""``OneCycleLR``: the 1cycle policy (warm up to ``max_lr``, then anneal far below the start)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from dualad.optim.lr_scheduler import LRScheduler
from dualad.optim.optimizer import Optimizer

__all__ = ["OneCycleLR"]


def _per_group(name: str, optimizer: Optimizer, value: float | Sequence[float]) -> list[float]:
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"OneCycleLR: {name} has {len(value)} values for {n} groups")
        return [float(v) for v in value]
    return [float(value)] * n  # type: ignore[arg-type]


class OneCycleLR(LRScheduler):
    """The 1cycle schedule of Smith and Topin, as PyTorch's ``OneCycleLR``: call
    :meth:`step` after every **batch**, ``total_steps`` times at most.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start``
    of the steps, then falls to ``max_lr / div_factor / final_div_factor`` (with
    ``three_phase``, it first comes back down to the start, then falls). The momentum
    (SGD's ``momentum``, Adam's ``beta1``) cycles the opposite way between
    ``max_momentum`` and ``base_momentum`` when ``cycle_momentum``.

    Args:
        optimizer: the optimizer.
        max_lr: the peak rate (one number, or one per group).
        total_steps: number of steps; or give ``epochs`` and ``steps_per_epoch``.
        epochs: number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: batches per epoch.
        pct_start: fraction of the steps spent rising.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum: cycle the momentum too.
        base_momentum: the momentum at the peak rate.
        max_momentum: the momentum at the lowest rates.
        div_factor: ``initial_lr = max_lr / div_factor``.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``.
        three_phase: rise, fall back to the start, then fall to ``min_lr``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> rates = []
        >>> for _ in range(10):
        ...     rates.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> max(rates), round(rates[-1], 6)
        (1.0, 4e-06)
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps < 1:
            raise ValueError(f"OneCycleLR: total_steps must be >= 1, got {total_steps}")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        rise = float(pct_start * total_steps) - 1
        # (last step of the phase, group keys of its start and end rate and momentum)
        self._phases: list[tuple[float, str, str, str, str]] = (
            [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
             (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
              "max_momentum"),
             (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
            if three_phase else
            [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
             (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")])
        for group, peak in zip(optimizer.param_groups, _per_group("max_lr", optimizer, max_lr)):
            group["initial_lr"] = peak / div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError(f"OneCycleLR: {type(optimizer).__name__} has no momentum or "
                                 "betas to cycle; pass cycle_momentum=False")
            for group, high, low in zip(optimizer.param_groups,
                                        _per_group("max_momentum", optimizer, max_momentum),
                                        _per_group("base_momentum", optimizer, base_momentum)):
                group["max_momentum"], group["base_momentum"] = high, low
                self._set_momentum(group, high)
        super().__init__(optimizer)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """The rate of each group at step ``last_epoch`` (and its momentum, set on the way)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps="
                             f"{self.total_steps}; build it with more steps")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for k, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or k == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start = end
        return lrs
