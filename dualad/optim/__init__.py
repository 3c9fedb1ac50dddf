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
from dualad.optim.lbfgs import LBFGS as LBFGS
from dualad.optim.lr_one_cycle import OneCycleLR as OneCycleLR
from dualad.optim.lr_plateau import ReduceLROnPlateau as ReduceLROnPlateau
from dualad.optim.lr_scheduler import CosineAnnealingLR as CosineAnnealingLR
from dualad.optim.lr_scheduler import ExponentialLR as ExponentialLR
from dualad.optim.lr_scheduler import LambdaLR as LambdaLR
from dualad.optim.lr_scheduler import LinearLR as LinearLR
from dualad.optim.lr_scheduler import LRScheduler as LRScheduler
from dualad.optim.lr_scheduler import MultiStepLR as MultiStepLR
from dualad.optim.lr_scheduler import StepLR as StepLR
from dualad.optim.lr_sequential import SequentialLR as SequentialLR
from dualad.optim.nadam import NAdam as NAdam
from dualad.optim.optimizer import Optimizer as Optimizer
from dualad.optim.optimizer import ParamGroup as ParamGroup
from dualad.optim.rmsprop import Adagrad as Adagrad
from dualad.optim.rmsprop import RMSprop as RMSprop
from dualad.optim.sgd import SGD as SGD

__all__ = [
    "SGD", "Adam", "AdamW", "CosineAnnealingLR", "LRScheduler", "Optimizer", "ParamGroup", "StepLR",
    "ExponentialLR", "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau",
    "SequentialLR", "Adagrad", "LBFGS", "NAdam", "RMSprop",
]
