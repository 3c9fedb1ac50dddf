"""Every differentiable operation, grouped by family. Primitives carry rules; composites don't.

=================  ==========================================================
``arithmetic``     add, sub, mul, div, neg, power, maximum, minimum, where
``elementwise``    exp, log, log1p, expm1, sin, cos, tanh, sqrt, abs
``shape``          reshape, transpose, broadcast_to, sum, getitem, concatenate
``linalg``         matmul
``complex``        conj, real, imag, angle
``solvers``        inv, solve, det, slogdet, pinv
``decompositions`` cholesky, qr
``spectral``       eigh, svd, svdvals
``eig``            eig (general matrices, complex eigenvalues and vectors)
``fft``            fftn, rfftn, irfftn (the transforms behind dualad.numpy.fft)
``gather``         gather, scatter_at (indices that are batched values)
``norms``          norm, vector_norm, matrix_norm, cond (compositions)
``matrix_functions`` matrix_power, lstsq, multi_dot, ... (compositions)
``activation``     relu, sigmoid, log_softmax (fused rules)
``reductions``     mean, prod, amax, amin, cumsum, cumprod, cummax, cummin
``composite``      logsumexp, softmax
``conv``           im2col, col2im (primitives); conv2d (im2col + matmul)
``conv_variants``  conv1d, conv_transpose2d (compositions of conv2d / col2im)
``pool``           max_pool2d (max_pool_tiles or getitem), avg_pool2d, adaptive_avg_pool2d
``special``        erf
``special_*``      SciPy-backed special functions (imported only by ``dualad.scipy``)
``nn_ops``         linear (x @ W.T + b), softmax_cross_entropy (fused, stable)
``recurrent_cells`` gru_cell (one GRU step's gate arithmetic, fused)
=================  ==========================================================
"""

from dualad.ops import binary as binary
from dualad.ops import contractions as contractions
from dualad.ops import eig as eig
from dualad.ops import einsum as einsum
from dualad.ops import fft as fft
from dualad.ops import floating as floating
from dualad.ops import gather as gather
from dualad.ops import gufuncs as gufuncs
from dualad.ops import joining as joining
from dualad.ops import numerics as numerics
from dualad.ops import recurrent_cells as recurrent_cells
from dualad.ops import reductions as reductions
from dualad.ops import reorder as reorder
from dualad.ops import rounding as rounding
from dualad.ops import statistics as statistics
from dualad.ops import trig as trig
from dualad.ops.activation import log_softmax as log_softmax
from dualad.ops.activation import relu as relu
from dualad.ops.activation import sigmoid as sigmoid
from dualad.ops.arithmetic import add as add
from dualad.ops.arithmetic import div as div
from dualad.ops.arithmetic import maximum as maximum
from dualad.ops.arithmetic import minimum as minimum
from dualad.ops.arithmetic import mul as mul
from dualad.ops.arithmetic import neg as neg
from dualad.ops.arithmetic import sub as sub
from dualad.ops.arithmetic import where as where
from dualad.ops.complex import angle as angle
from dualad.ops.complex import conj as conj
from dualad.ops.complex import imag as imag
from dualad.ops.complex import real as real
from dualad.ops.composite import logsumexp as logsumexp
from dualad.ops.composite import softmax as softmax
from dualad.ops.conv import col2im as col2im
from dualad.ops.conv import conv2d as conv2d
from dualad.ops.conv import im2col as im2col
from dualad.ops.conv_variants import conv1d as conv1d
from dualad.ops.conv_variants import conv_transpose2d as conv_transpose2d
from dualad.ops.decompositions import cholesky as cholesky
from dualad.ops.decompositions import qr as qr
from dualad.ops.elementwise import abs as abs
from dualad.ops.elementwise import cos as cos
from dualad.ops.elementwise import exp as exp
from dualad.ops.elementwise import expm1 as expm1
from dualad.ops.elementwise import log as log
from dualad.ops.elementwise import log1p as log1p
from dualad.ops.elementwise import sin as sin
from dualad.ops.elementwise import sqrt as sqrt
from dualad.ops.elementwise import tanh as tanh
from dualad.ops.linalg import matmul as matmul
from dualad.ops.matrix_functions import lstsq as lstsq
from dualad.ops.matrix_functions import matrix_power as matrix_power
from dualad.ops.matrix_functions import multi_dot as multi_dot
from dualad.ops.nn_ops import linear as linear
from dualad.ops.nn_ops import softmax_cross_entropy as softmax_cross_entropy
from dualad.ops.norms import cond as cond
from dualad.ops.norms import matrix_norm as matrix_norm
from dualad.ops.norms import norm as norm
from dualad.ops.norms import vector_norm as vector_norm
from dualad.ops.pool import adaptive_avg_pool2d as adaptive_avg_pool2d
from dualad.ops.pool import avg_pool2d as avg_pool2d
from dualad.ops.pool import max_pool2d as max_pool2d
from dualad.ops.powers import power as power
from dualad.ops.reductions import mean as mean
from dualad.ops.shape import broadcast_to as broadcast_to
from dualad.ops.shape import concatenate as concatenate
from dualad.ops.shape import getitem as getitem
from dualad.ops.shape import moveaxis as moveaxis
from dualad.ops.shape import reshape as reshape
from dualad.ops.shape import sum as sum
from dualad.ops.shape import transpose as transpose
from dualad.ops.shape import unbroadcast as unbroadcast
from dualad.ops.solvers import det as det
from dualad.ops.solvers import inv as inv
from dualad.ops.solvers import pinv as pinv
from dualad.ops.solvers import slogdet as slogdet
from dualad.ops.solvers import solve as solve
from dualad.ops.special import erf as erf
from dualad.ops.spectral import eigh as eigh
from dualad.ops.spectral import svd as svd
from dualad.ops.spectral import svdvals as svdvals
