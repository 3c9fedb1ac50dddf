"""``SequentialLR``: run closed-form schedulers one after another, switching at milestones."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from dualad.optim.lr_scheduler import LRScheduler
from dualad.optim.optimizer import Optimizer

__all__ = ["SequentialLR"]


class SequentialLR(LRScheduler):
    """Use ``schedulers[i]`` between ``milestones[i - 1]`` and ``milestones[i]``, each
    counting its epochs from 0 at its start, as PyTorch's ``SequentialLR``.

    Args:
        optimizer: the optimizer every scheduler was built on.
        schedulers: closed-form schedulers (not :class:`~dualad.optim.ReduceLROnPlateau`).
        milestones: the epochs where the next scheduler takes over (one fewer than
            ``schedulers``).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> warmup = optim.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = optim.ExponentialLR(opt, gamma=0.5)
        >>> sched = optim.SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> rates = []
        >>> for _ in range(5):
        ...     rates.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> rates
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        if not schedulers:
            raise ValueError("SequentialLR: schedulers is empty; pass at least one scheduler")
        for k, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or not s._closed_form:
                raise TypeError(f"SequentialLR: schedulers[{k}] is a {type(s).__name__}; only "
                                "closed-form schedulers (not ReduceLROnPlateau) can be chained")
            if s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{k}] belongs to another optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones, got {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """The rates of the scheduler in charge at ``last_epoch``, at its own epoch."""
        idx = bisect_right(self._milestones, self.last_epoch)
        current = self._schedulers[idx]
        current.last_epoch = self.last_epoch - (self._milestones[idx - 1] if idx else 0)
        return current.get_lr()

    def state_dict(self) -> dict[str, Any]:
        """As the base, with each scheduler's own ``state_dict`` under ``"_schedulers"``."""
        state = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`, the chained schedulers' included."""
        state = dict(state_dict)
        for s, saved in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(saved)
        super().load_state_dict(state)
