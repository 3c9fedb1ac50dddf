"""dualad: automatic differentiation for NumPy, in forward and reverse mode.

The pieces, in the order they build on each other:

* :mod:`dualad.registry` -- every primitive once: NumPy impl, JVP rule, VJP rule.
* :mod:`dualad.core`     -- levels and ``bind``: which engine handles an op.
* :mod:`dualad.forward`  -- the forward engine (``Dual``).
* :mod:`dualad.reverse` and :mod:`dualad.tensor` -- the reverse engine (``Tensor``).
* :mod:`dualad.transforms` and :mod:`dualad.jacobians` -- ``grad``, ``jvp``, ``jacobian``...
* :mod:`dualad.ops`      -- the ops themselves, grouped by family.
* :mod:`dualad.nn` and :mod:`dualad.optim` -- layers, losses and optimizers on the reverse engine.
"""

from dualad import nn as nn
from dualad import numpy as numpy
from dualad import optim as optim
from dualad._tree import tree_flatten as tree_flatten
from dualad._tree import tree_map as tree_map
from dualad._tree import tree_unflatten as tree_unflatten
from dualad.anomaly import detect_anomaly as detect_anomaly
from dualad.core import observe_binds as observe_binds
from dualad.core import primal as primal
from dualad.errors import AnomalyError as AnomalyError
from dualad.errors import DualadError as DualadError
from dualad.errors import FreedGraphError as FreedGraphError
from dualad.errors import LevelError as LevelError
from dualad.errors import NonDifferentiableError as NonDifferentiableError
from dualad.errors import ShapeError as ShapeError
from dualad.errors import UnsavedValueError as UnsavedValueError
from dualad.errors import UnsupportedOperationError as UnsupportedOperationError
from dualad.forward import Dual as Dual
from dualad.gradcheck import GradcheckError as GradcheckError
from dualad.gradcheck import check_gradient as check_gradient
from dualad.gradcheck import check_rules as check_rules
from dualad.gradcheck import gradcheck as gradcheck
from dualad.jacobians import hessian as hessian
from dualad.jacobians import jacfwd as jacfwd
from dualad.jacobians import jacobian as jacobian
from dualad.jacobians import jacrev as jacrev
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
from dualad.registry import Example as Example
from dualad.registry import Primitive as Primitive
from dualad.registry import defprimitive as defprimitive
from dualad.registry import primitives as primitives
from dualad.reverse import no_grad as no_grad
from dualad.tensor import Tensor as Tensor
from dualad.transforms import derivative as derivative
from dualad.transforms import grad as grad
from dualad.transforms import hvp as hvp
from dualad.transforms import jvp as jvp
from dualad.transforms import value_and_grad as value_and_grad
from dualad.transforms import vjp as vjp

__version__ = "0.1.0"
