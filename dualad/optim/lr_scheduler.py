"""Learning-rate schedules: ``StepLR`` and ``CosineAnnealingLR`` (PyTorch's semantics).

A scheduler sets each group's ``"lr"`` from the group's initial learning rate and an epoch
counter; call :meth:`LRScheduler.step` once per epoch, after ``optimizer.step()``.
"""

from __future__ import annotations

import math

from dualad.optim.optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "LRScheduler", "StepLR"]


class LRScheduler:
    """Base class: keeps ``base_lrs`` (the initial rates) and ``last_epoch``; subclasses give
    the closed-form rate of an epoch in :meth:`lr_at`."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate of ``epoch`` for a group that started at ``base_lr``."""
        raise NotImplementedError

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def step(self) -> None:
        """Advance one epoch and set the new learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as last set."""
        return [float(group["lr"]) for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> sched = optim.StepLR(opt, step_size=2, gamma=0.5)
        >>> rates = []
        >>> for _ in range(5):
        ...     rates.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> rates
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """``base_lr * gamma ** (epoch // step_size)``."""
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from the initial rate to ``eta_min`` over ``T_max`` epochs.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2`` -- the closed
    form of PyTorch's schedule (which computes it recursively; they agree to rounding).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
        >>> sched = optim.CosineAnnealingLR(opt, T_max=4)
        >>> rates = []
        >>> for _ in range(5):
        ...     rates.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> rates
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The cosine-annealed rate of ``epoch``."""
        return self.eta_min + (base_lr - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
