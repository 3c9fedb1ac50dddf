"""dualad: automatic differentiation for NumPy, in forward and reverse mode.

The folders are the layers, bottom to top (each imports only the ones before it):

* :mod:`dualad._core`      -- the kernel: the registry (impl + rules), levels and ``bind``, pytrees, errors.
* :mod:`dualad.ops`        -- every primitive once, grouped by family, rules beside their op.
* :mod:`dualad.engines`    -- forward (``Dual``), reverse (graph, backward pass, ``Tensor``).
* :mod:`dualad.autograd`   -- ``torch.autograd``-style ``grad`` and ``backward`` on ``Tensor``.
* :mod:`dualad.transforms` -- ``grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``...
* :mod:`dualad.numpy`      -- NumPy's names and signatures, differentiable.
* :mod:`dualad.nn`, :mod:`dualad.optim`, :mod:`dualad.datasets` -- training on the reverse engine.
* :mod:`dualad.debug`      -- gradient checks, anomaly detection, graph pictures.

This module re-exports the public names of every layer.
"""

from dualad import autograd as autograd
from dualad import nn as nn
from dualad import numpy as numpy
from dualad import optim as optim
from dualad._core.errors import AnomalyError as AnomalyError
from dualad._core.errors import DualadError as DualadError
from dualad._core.errors import FreedGraphError as FreedGraphError
from dualad._core.errors import LevelError as LevelError
from dualad._core.errors import NonDifferentiableError as NonDifferentiableError
from dualad._core.errors import ShapeError as ShapeError
from dualad._core.errors import UnsavedValueError as UnsavedValueError
from dualad._core.errors import UnsupportedOperationError as UnsupportedOperationError
from dualad._core.levels import is_grad_enabled as is_grad_enabled
from dualad._core.levels import observe_binds as observe_binds
from dualad._core.levels import primal as primal
from dualad._core.registry import Example as Example
from dualad._core.registry import Primitive as Primitive
from dualad._core.registry import defprimitive as defprimitive
from dualad._core.registry import primitives as primitives
from dualad._core.tree import tree_flatten as tree_flatten
from dualad._core.tree import tree_leaves as tree_leaves
from dualad._core.tree import tree_map as tree_map
from dualad._core.tree import tree_structure as tree_structure
from dualad._core.tree import tree_unflatten as tree_unflatten
from dualad.debug.anomaly import detect_anomaly as detect_anomaly
from dualad.debug.gradcheck import GradcheckError as GradcheckError
from dualad.debug.gradcheck import check_gradient as check_gradient
from dualad.debug.gradcheck import check_rules as check_rules
from dualad.debug.gradcheck import gradcheck as gradcheck
from dualad.engines.forward import Dual as Dual
from dualad.engines.grad_mode import enable_grad as enable_grad
from dualad.engines.grad_mode import no_grad as no_grad
from dualad.engines.grad_mode import set_grad_enabled as set_grad_enabled
from dualad.engines.tensor import Tensor as Tensor
from dualad.ops import abs as abs
from dualad.ops import add as add
from dualad.ops import angle as angle
from dualad.ops import broadcast_to as broadcast_to
from dualad.ops import concatenate as concatenate
from dualad.ops import conj as conj
from dualad.ops import cos as cos
from dualad.ops import div as div
from dualad.ops import exp as exp
from dualad.ops import expm1 as expm1
from dualad.ops import getitem as getitem
from dualad.ops import imag as imag
from dualad.ops import log as log
from dualad.ops import log1p as log1p
from dualad.ops import log_softmax as log_softmax
from dualad.ops import logsumexp as logsumexp
from dualad.ops import matmul as matmul
from dualad.ops import maximum as maximum
from dualad.ops import mean as mean
from dualad.ops import minimum as minimum
from dualad.ops import moveaxis as moveaxis
from dualad.ops import mul as mul
from dualad.ops import neg as neg
from dualad.ops import power as power
from dualad.ops import real as real
from dualad.ops import relu as relu
from dualad.ops import reshape as reshape
from dualad.ops import sigmoid as sigmoid
from dualad.ops import sin as sin
from dualad.ops import softmax as softmax
from dualad.ops import sqrt as sqrt
from dualad.ops import sub as sub
from dualad.ops import sum as sum
from dualad.ops import tanh as tanh
from dualad.ops import transpose as transpose
from dualad.ops import where as where
from dualad.ops.index_update import at as at
from dualad.transforms.checkpoint import checkpoint as checkpoint
from dualad.transforms.checkpoint import remat as remat
from dualad.transforms.custom_jvp import custom_jvp as custom_jvp
from dualad.transforms.custom_vjp import custom_vjp as custom_vjp
from dualad.transforms.grad_and_jvp import derivative as derivative
from dualad.transforms.grad_and_jvp import grad as grad
from dualad.transforms.grad_and_jvp import hvp as hvp
from dualad.transforms.grad_and_jvp import jvp as jvp
from dualad.transforms.grad_and_jvp import value_and_grad as value_and_grad
from dualad.transforms.grad_and_jvp import vjp as vjp
from dualad.transforms.jacobians import hessian as hessian
from dualad.transforms.jacobians import jacfwd as jacfwd
from dualad.transforms.jacobians import jacobian as jacobian
from dualad.transforms.jacobians import jacrev as jacrev
from dualad.transforms.linearize import linearize as linearize
from dualad.transforms.stop_gradient import stop_gradient as stop_gradient
from dualad.transforms.vmap import vmap as vmap

__version__ = "0.1.0"
