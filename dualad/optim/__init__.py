"""Optimizers and learning-rate schedules, updating parameters in place (no graph).

Examples:
    >>> import numpy as np
    >>> from dualad import nn, optim
    >>> model = nn.Linear(2, 1, rng=np.random.default_rng(0))
    >>> opt = optim.Adam(model.parameters(), lr=0.01)
    >>> loss = (model(np.ones((4, 2), np.float32)) ** 2).mean()
    >>> opt.zero_grad(); loss.backward(); opt.step()
"""

from dualad.optim.adam import Adam as Adam
from dualad.optim.adam import AdamW as AdamW
from dualad.optim.lr_scheduler import CosineAnnealingLR as CosineAnnealingLR
from dualad.optim.lr_scheduler import LRScheduler as LRScheduler
from dualad.optim.lr_scheduler import StepLR as StepLR
from dualad.optim.optimizer import Optimizer as Optimizer
from dualad.optim.optimizer import ParamGroup as ParamGroup
from dualad.optim.sgd import SGD as SGD

__all__ = ["SGD", "Adam", "AdamW", "CosineAnnealingLR", "LRScheduler", "Optimizer", "ParamGroup", "StepLR"]
