"""Neural networks on the reverse engine: modules, layers, losses, initialisation.

``Module`` and ``Parameter`` are the base (:mod:`dualad.nn.module`); layers are in
:mod:`dualad.nn.layers`, functional forms in :mod:`dualad.nn.functional`, initialisers in
:mod:`dualad.nn.init`.
"""

from dualad.nn import functional as functional
from dualad.nn import init as init
from dualad.nn.containers import Sequential as Sequential
from dualad.nn.layers import Linear as Linear
from dualad.nn.layers import LogSoftmax as LogSoftmax
from dualad.nn.layers import ReLU as ReLU
from dualad.nn.layers import Sigmoid as Sigmoid
from dualad.nn.layers import Softmax as Softmax
from dualad.nn.layers import Tanh as Tanh
from dualad.nn.module import IncompatibleKeys as IncompatibleKeys
from dualad.nn.module import Module as Module
from dualad.nn.module import Parameter as Parameter
from dualad.nn.module import StateDictError as StateDictError
