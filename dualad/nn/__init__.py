"""Neural networks on the reverse engine: modules, layers, losses, initialisation.

``Module`` and ``Parameter`` are the base (:mod:`dualad.nn.module`); layers are in
:mod:`dualad.nn.layers`, losses in :mod:`dualad.nn.losses`, functional forms in
:mod:`dualad.nn.functional`, initialisers in :mod:`dualad.nn.init`, gradient clipping in
:mod:`dualad.nn.utils`.
"""

from dualad.nn import functional as functional
from dualad.nn import init as init
from dualad.nn import utils as utils
from dualad.nn.activations import ELU as ELU
from dualad.nn.activations import LeakyReLU as LeakyReLU
from dualad.nn.activations import Mish as Mish
from dualad.nn.activations import SiLU as SiLU
from dualad.nn.activations import Softplus as Softplus
from dualad.nn.attention import MultiheadAttention as MultiheadAttention
from dualad.nn.containers import Sequential as Sequential
from dualad.nn.conv import AvgPool2d as AvgPool2d
from dualad.nn.conv import Conv2d as Conv2d
from dualad.nn.conv import MaxPool2d as MaxPool2d
from dualad.nn.conv_variants import AdaptiveAvgPool2d as AdaptiveAvgPool2d
from dualad.nn.conv_variants import Conv1d as Conv1d
from dualad.nn.conv_variants import ConvTranspose2d as ConvTranspose2d
from dualad.nn.embedding import Embedding as Embedding
from dualad.nn.layers import GELU as GELU
from dualad.nn.layers import Dropout as Dropout
from dualad.nn.layers import Dropout1d as Dropout1d
from dualad.nn.layers import Dropout2d as Dropout2d
from dualad.nn.layers import Flatten as Flatten
from dualad.nn.layers import Identity as Identity
from dualad.nn.layers import Linear as Linear
from dualad.nn.layers import LogSoftmax as LogSoftmax
from dualad.nn.layers import ReLU as ReLU
from dualad.nn.layers import Sigmoid as Sigmoid
from dualad.nn.layers import Softmax as Softmax
from dualad.nn.layers import Tanh as Tanh
from dualad.nn.losses import BCELoss as BCELoss
from dualad.nn.losses import BCEWithLogitsLoss as BCEWithLogitsLoss
from dualad.nn.losses import CrossEntropyLoss as CrossEntropyLoss
from dualad.nn.losses import HuberLoss as HuberLoss
from dualad.nn.losses import KLDivLoss as KLDivLoss
from dualad.nn.losses import L1Loss as L1Loss
from dualad.nn.losses import MSELoss as MSELoss
from dualad.nn.losses import NLLLoss as NLLLoss
from dualad.nn.losses import SmoothL1Loss as SmoothL1Loss
from dualad.nn.module import IncompatibleKeys as IncompatibleKeys
from dualad.nn.module import Module as Module
from dualad.nn.module import StateDictError as StateDictError
from dualad.nn.norm import BatchNorm1d as BatchNorm1d
from dualad.nn.norm import BatchNorm2d as BatchNorm2d
from dualad.nn.normalization import GroupNorm as GroupNorm
from dualad.nn.normalization import LayerNorm as LayerNorm
from dualad.nn.parameter import Parameter as Parameter
from dualad.nn.recurrent import GRU as GRU
from dualad.nn.recurrent import LSTM as LSTM
from dualad.nn.recurrent import RNN as RNN
from dualad.nn.saving import load as load
from dualad.nn.saving import save as save
from dualad.nn.stateless import functional_call as functional_call
from dualad.nn.transformer import TransformerEncoderLayer as TransformerEncoderLayer

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "GELU", "Identity", "IncompatibleKeys",
    "Linear", "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "StateDictError", "Tanh", "functional", "functional_call", "init",
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Embedding", "GRU", "LSTM", "MaxPool2d", "RNN",
    "load", "save",
    "AdaptiveAvgPool2d", "BCELoss", "Conv1d", "ConvTranspose2d", "Dropout1d", "Dropout2d", "ELU", "GroupNorm",
    "HuberLoss", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Mish", "MultiheadAttention", "SiLU",
    "SmoothL1Loss", "Softplus", "TransformerEncoderLayer", "utils",
]
