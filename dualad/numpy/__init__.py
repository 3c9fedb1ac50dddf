"""``dualad.numpy``: NumPy's names and signatures, differentiable in both engines.

``import dualad.numpy as np`` and existing numerical code runs unchanged on plain arrays
(the results are ordinary NumPy arrays) and on traced values from ``dualad.grad``,
``dualad.jvp``, ``dualad.jacobian`` or ``dualad.Tensor`` -- the same code, differentiated
in forward or reverse mode.

* Differentiable functions apply dualad primitives (see ``dualad.primitives()``), or are
  compositions of them (``var``, ``hstack``, ``median``, ``interp``, ...).
* Functions whose results carry no derivative (comparisons, ``argmax``, ``isfinite``,
  ``shape``, ``zeros_like``, ...) are answered on the plain values: their derivative is
  zero, which is the mathematical answer.
* ``out=`` is refused where it would write a traced result into a plain array.
* ``dualad.numpy.linalg`` and ``dualad.numpy.fft`` mirror ``numpy.linalg`` and ``numpy.fft``.
* ``dualad.numpy.random`` is NumPy's own ``numpy.random``.

Examples:
    >>> import numpy
    >>> import dualad
    >>> import dualad.numpy as np
    >>> def loss(w):
    ...     return np.sum(np.tanh(w) ** 2) + np.max(w)
    >>> w = numpy.array([0.5, -1.0, 2.0])
    >>> bool(numpy.allclose(dualad.grad(loss)(w), dualad.grad(loss, mode="forward")(w)))
    True
"""

# NumPy's constants, dtypes and types, so ``np.pi``, ``np.float32`` and ``np.ndarray`` keep working
# NumPy utilities that never see a traced value (I/O, printing, windows, index grids)
from numpy import array2string as array2string
from numpy import array_repr as array_repr
from numpy import array_str as array_str
from numpy import bartlett as bartlett
from numpy import blackman as blackman
from numpy import bool_ as bool_
from numpy import broadcast_shapes as broadcast_shapes
from numpy import can_cast as can_cast
from numpy import complex64 as complex64
from numpy import complex128 as complex128
from numpy import diag_indices as diag_indices
from numpy import dtype as dtype
from numpy import e as e
from numpy import errstate as errstate
from numpy import euler_gamma as euler_gamma
from numpy import finfo as finfo
from numpy import float16 as float16
from numpy import float32 as float32
from numpy import float64 as float64
from numpy import floating as floating
from numpy import frombuffer as frombuffer
from numpy import fromfunction as fromfunction
from numpy import fromiter as fromiter
from numpy import genfromtxt as genfromtxt
from numpy import get_printoptions as get_printoptions
from numpy import geterr as geterr
from numpy import hamming as hamming
from numpy import hanning as hanning
from numpy import iinfo as iinfo
from numpy import indices as indices
from numpy import inexact as inexact
from numpy import inf as inf
from numpy import int8 as int8
from numpy import int16 as int16
from numpy import int32 as int32
from numpy import int64 as int64
from numpy import integer as integer
from numpy import intp as intp
from numpy import issubdtype as issubdtype
from numpy import iterable as iterable
from numpy import ix_ as ix_
from numpy import kaiser as kaiser
from numpy import load as load
from numpy import loadtxt as loadtxt
from numpy import nan as nan
from numpy import ndarray as ndarray
from numpy import newaxis as newaxis
from numpy import number as number
from numpy import pi as pi
from numpy import printoptions as printoptions
from numpy import promote_types as promote_types
from numpy import random as random
from numpy import ravel_multi_index as ravel_multi_index
from numpy import save as save
from numpy import savetxt as savetxt
from numpy import savez as savez
from numpy import savez_compressed as savez_compressed
from numpy import set_printoptions as set_printoptions
from numpy import seterr as seterr
from numpy import tril_indices as tril_indices
from numpy import triu_indices as triu_indices
from numpy import uint8 as uint8
from numpy import uint16 as uint16
from numpy import uint32 as uint32
from numpy import uint64 as uint64
from numpy import unravel_index as unravel_index

from dualad.numpy import fft as fft  # fft, ifft, rfft, irfft, fftn, hfft, fftshift, fftfreq, ...
from dualad.numpy import linalg as linalg  # inv, solve, det, slogdet, cholesky, eigh, qr, svd, norm, ...
from dualad.numpy._complex import angle as angle
from dualad.numpy._complex import conj as conj
from dualad.numpy._complex import conjugate as conjugate
from dualad.numpy._complex import imag as imag
from dualad.numpy._complex import iscomplex as iscomplex
from dualad.numpy._complex import iscomplexobj as iscomplexobj
from dualad.numpy._complex import isreal as isreal
from dualad.numpy._complex import isrealobj as isrealobj
from dualad.numpy._complex import real as real
from dualad.numpy._complex import real_if_close as real_if_close
from dualad.numpy._concatenators import c_ as c_
from dualad.numpy._concatenators import r_ as r_
from dualad.numpy._contractions import convolve as convolve
from dualad.numpy._contractions import correlate as correlate
from dualad.numpy._contractions import cross as cross
from dualad.numpy._contractions import dot as dot
from dualad.numpy._contractions import einsum as einsum
from dualad.numpy._contractions import inner as inner
from dualad.numpy._contractions import kron as kron
from dualad.numpy._contractions import matvec as matvec
from dualad.numpy._contractions import outer as outer
from dualad.numpy._contractions import tensordot as tensordot
from dualad.numpy._contractions import trace as trace
from dualad.numpy._contractions import vdot as vdot
from dualad.numpy._contractions import vecdot as vecdot
from dualad.numpy._contractions import vecmat as vecmat
from dualad.numpy._creation import arange as arange
from dualad.numpy._creation import array as array
from dualad.numpy._creation import asanyarray as asanyarray
from dualad.numpy._creation import asarray as asarray
from dualad.numpy._creation import asarray_chkfinite as asarray_chkfinite
from dualad.numpy._creation import ascontiguousarray as ascontiguousarray
from dualad.numpy._creation import astype as astype
from dualad.numpy._creation import copy as copy
from dualad.numpy._creation import empty as empty
from dualad.numpy._creation import empty_like as empty_like
from dualad.numpy._creation import eye as eye
from dualad.numpy._creation import full as full
from dualad.numpy._creation import full_like as full_like
from dualad.numpy._creation import geomspace as geomspace
from dualad.numpy._creation import identity as identity
from dualad.numpy._creation import linspace as linspace
from dualad.numpy._creation import logspace as logspace
from dualad.numpy._creation import meshgrid as meshgrid
from dualad.numpy._creation import ones as ones
from dualad.numpy._creation import ones_like as ones_like
from dualad.numpy._creation import tri as tri
from dualad.numpy._creation import zeros as zeros
from dualad.numpy._creation import zeros_like as zeros_like
from dualad.numpy._indexing import append as append
from dualad.numpy._indexing import choose as choose
from dualad.numpy._indexing import clip as clip
from dualad.numpy._indexing import compress as compress
from dualad.numpy._indexing import delete as delete
from dualad.numpy._indexing import diag as diag
from dualad.numpy._indexing import diagflat as diagflat
from dualad.numpy._indexing import diagonal as diagonal
from dualad.numpy._indexing import extract as extract
from dualad.numpy._indexing import insert as insert
from dualad.numpy._indexing import select as select
from dualad.numpy._indexing import sort as sort
from dualad.numpy._indexing import take as take
from dualad.numpy._indexing import take_along_axis as take_along_axis
from dualad.numpy._indexing import tril as tril
from dualad.numpy._indexing import triu as triu
from dualad.numpy._indexing import where as where
from dualad.numpy._indices import argpartition as argpartition
from dualad.numpy._indices import array_equiv as array_equiv
from dualad.numpy._indices import diag_indices_from as diag_indices_from
from dualad.numpy._indices import einsum_path as einsum_path
from dualad.numpy._indices import histogram as histogram
from dualad.numpy._indices import histogram_bin_edges as histogram_bin_edges
from dualad.numpy._indices import intersect1d as intersect1d
from dualad.numpy._indices import isin as isin
from dualad.numpy._indices import lexsort as lexsort
from dualad.numpy._indices import setdiff1d as setdiff1d
from dualad.numpy._indices import setxor1d as setxor1d
from dualad.numpy._indices import tril_indices_from as tril_indices_from
from dualad.numpy._indices import triu_indices_from as triu_indices_from
from dualad.numpy._indices import union1d as union1d
from dualad.numpy._indices import unique_counts as unique_counts
from dualad.numpy._indices import unique_inverse as unique_inverse
from dualad.numpy._indices import unique_values as unique_values
from dualad.numpy._math import apply_along_axis as apply_along_axis
from dualad.numpy._math import around as around
from dualad.numpy._math import corrcoef as corrcoef
from dualad.numpy._math import cov as cov
from dualad.numpy._math import fix as fix
from dualad.numpy._math import gradient as gradient
from dualad.numpy._math import interp as interp
from dualad.numpy._math import nan_to_num as nan_to_num
from dualad.numpy._math import round as round
from dualad.numpy._math import sinc as sinc
from dualad.numpy._math import trapezoid as trapezoid
from dualad.numpy._math import trapz as trapz
from dualad.numpy._math import unwrap as unwrap
from dualad.numpy._nanfunctions import nancumprod as nancumprod
from dualad.numpy._nanfunctions import nancumsum as nancumsum
from dualad.numpy._nanfunctions import nanmax as nanmax
from dualad.numpy._nanfunctions import nanmean as nanmean
from dualad.numpy._nanfunctions import nanmedian as nanmedian
from dualad.numpy._nanfunctions import nanmin as nanmin
from dualad.numpy._nanfunctions import nanpercentile as nanpercentile
from dualad.numpy._nanfunctions import nanprod as nanprod
from dualad.numpy._nanfunctions import nanquantile as nanquantile
from dualad.numpy._nanfunctions import nanstd as nanstd
from dualad.numpy._nanfunctions import nansum as nansum
from dualad.numpy._nanfunctions import nanvar as nanvar
from dualad.numpy._nondiff import all as all
from dualad.numpy._nondiff import allclose as allclose
from dualad.numpy._nondiff import any as any
from dualad.numpy._nondiff import argmax as argmax
from dualad.numpy._nondiff import argmin as argmin
from dualad.numpy._nondiff import argsort as argsort
from dualad.numpy._nondiff import argwhere as argwhere
from dualad.numpy._nondiff import array_equal as array_equal
from dualad.numpy._nondiff import bincount as bincount
from dualad.numpy._nondiff import count_nonzero as count_nonzero
from dualad.numpy._nondiff import digitize as digitize
from dualad.numpy._nondiff import equal as equal
from dualad.numpy._nondiff import flatnonzero as flatnonzero
from dualad.numpy._nondiff import greater as greater
from dualad.numpy._nondiff import greater_equal as greater_equal
from dualad.numpy._nondiff import isclose as isclose
from dualad.numpy._nondiff import isfinite as isfinite
from dualad.numpy._nondiff import isinf as isinf
from dualad.numpy._nondiff import isnan as isnan
from dualad.numpy._nondiff import isneginf as isneginf
from dualad.numpy._nondiff import isposinf as isposinf
from dualad.numpy._nondiff import isscalar as isscalar
from dualad.numpy._nondiff import less as less
from dualad.numpy._nondiff import less_equal as less_equal
from dualad.numpy._nondiff import logical_and as logical_and
from dualad.numpy._nondiff import logical_not as logical_not
from dualad.numpy._nondiff import logical_or as logical_or
from dualad.numpy._nondiff import logical_xor as logical_xor
from dualad.numpy._nondiff import nanargmax as nanargmax
from dualad.numpy._nondiff import nanargmin as nanargmin
from dualad.numpy._nondiff import ndim as ndim
from dualad.numpy._nondiff import nonzero as nonzero
from dualad.numpy._nondiff import not_equal as not_equal
from dualad.numpy._nondiff import result_type as result_type
from dualad.numpy._nondiff import searchsorted as searchsorted
from dualad.numpy._nondiff import shape as shape
from dualad.numpy._nondiff import signbit as signbit
from dualad.numpy._nondiff import size as size
from dualad.numpy._nondiff import unique as unique
from dualad.numpy._polynomial import poly as poly
from dualad.numpy._polynomial import polyadd as polyadd
from dualad.numpy._polynomial import polyder as polyder
from dualad.numpy._polynomial import polyint as polyint
from dualad.numpy._polynomial import polymul as polymul
from dualad.numpy._polynomial import polysub as polysub
from dualad.numpy._polynomial import polyval as polyval
from dualad.numpy._polynomial import vander as vander
from dualad.numpy._reductions import amax as amax
from dualad.numpy._reductions import amin as amin
from dualad.numpy._reductions import average as average
from dualad.numpy._reductions import cumprod as cumprod
from dualad.numpy._reductions import cumsum as cumsum
from dualad.numpy._reductions import cumulative_prod as cumulative_prod
from dualad.numpy._reductions import cumulative_sum as cumulative_sum
from dualad.numpy._reductions import max as max
from dualad.numpy._reductions import mean as mean
from dualad.numpy._reductions import median as median
from dualad.numpy._reductions import min as min
from dualad.numpy._reductions import percentile as percentile
from dualad.numpy._reductions import prod as prod
from dualad.numpy._reductions import ptp as ptp
from dualad.numpy._reductions import quantile as quantile
from dualad.numpy._reductions import std as std
from dualad.numpy._reductions import sum as sum
from dualad.numpy._reductions import var as var
from dualad.numpy._reorder import diff as diff
from dualad.numpy._reorder import ediff1d as ediff1d
from dualad.numpy._reorder import flip as flip
from dualad.numpy._reorder import fliplr as fliplr
from dualad.numpy._reorder import flipud as flipud
from dualad.numpy._reorder import pad as pad
from dualad.numpy._reorder import partition as partition
from dualad.numpy._reorder import repeat as repeat
from dualad.numpy._reorder import resize as resize
from dualad.numpy._reorder import roll as roll
from dualad.numpy._reorder import rot90 as rot90
from dualad.numpy._reorder import tile as tile
from dualad.numpy._reorder import trim_zeros as trim_zeros
from dualad.numpy._reorder import unstack as unstack
from dualad.numpy._shape import array_split as array_split
from dualad.numpy._shape import atleast_1d as atleast_1d
from dualad.numpy._shape import atleast_2d as atleast_2d
from dualad.numpy._shape import atleast_3d as atleast_3d
from dualad.numpy._shape import block as block
from dualad.numpy._shape import broadcast_arrays as broadcast_arrays
from dualad.numpy._shape import broadcast_to as broadcast_to
from dualad.numpy._shape import column_stack as column_stack
from dualad.numpy._shape import concat as concat
from dualad.numpy._shape import concatenate as concatenate
from dualad.numpy._shape import dsplit as dsplit
from dualad.numpy._shape import dstack as dstack
from dualad.numpy._shape import expand_dims as expand_dims
from dualad.numpy._shape import hsplit as hsplit
from dualad.numpy._shape import hstack as hstack
from dualad.numpy._shape import matrix_transpose as matrix_transpose
from dualad.numpy._shape import moveaxis as moveaxis
from dualad.numpy._shape import permute_dims as permute_dims
from dualad.numpy._shape import ravel as ravel
from dualad.numpy._shape import reshape as reshape
from dualad.numpy._shape import rollaxis as rollaxis
from dualad.numpy._shape import row_stack as row_stack
from dualad.numpy._shape import split as split
from dualad.numpy._shape import squeeze as squeeze
from dualad.numpy._shape import stack as stack
from dualad.numpy._shape import swapaxes as swapaxes
from dualad.numpy._shape import transpose as transpose
from dualad.numpy._shape import vsplit as vsplit
from dualad.numpy._shape import vstack as vstack
from dualad.numpy._ufuncs import absolute as absolute
from dualad.numpy._ufuncs import arccos as arccos
from dualad.numpy._ufuncs import arccosh as arccosh
from dualad.numpy._ufuncs import arcsin as arcsin
from dualad.numpy._ufuncs import arcsinh as arcsinh
from dualad.numpy._ufuncs import arctan as arctan
from dualad.numpy._ufuncs import arctanh as arctanh
from dualad.numpy._ufuncs import cbrt as cbrt
from dualad.numpy._ufuncs import ceil as ceil
from dualad.numpy._ufuncs import cos as cos
from dualad.numpy._ufuncs import cosh as cosh
from dualad.numpy._ufuncs import deg2rad as deg2rad
from dualad.numpy._ufuncs import exp as exp
from dualad.numpy._ufuncs import exp2 as exp2
from dualad.numpy._ufuncs import expm1 as expm1
from dualad.numpy._ufuncs import fabs as fabs
from dualad.numpy._ufuncs import floor as floor
from dualad.numpy._ufuncs import frexp as frexp
from dualad.numpy._ufuncs import log as log
from dualad.numpy._ufuncs import log1p as log1p
from dualad.numpy._ufuncs import log2 as log2
from dualad.numpy._ufuncs import log10 as log10
from dualad.numpy._ufuncs import modf as modf
from dualad.numpy._ufuncs import negative as negative
from dualad.numpy._ufuncs import positive as positive
from dualad.numpy._ufuncs import rad2deg as rad2deg
from dualad.numpy._ufuncs import reciprocal as reciprocal
from dualad.numpy._ufuncs import rint as rint
from dualad.numpy._ufuncs import sign as sign
from dualad.numpy._ufuncs import sin as sin
from dualad.numpy._ufuncs import sinh as sinh
from dualad.numpy._ufuncs import sqrt as sqrt
from dualad.numpy._ufuncs import square as square
from dualad.numpy._ufuncs import tan as tan
from dualad.numpy._ufuncs import tanh as tanh
from dualad.numpy._ufuncs import trunc as trunc
from dualad.numpy._ufuncs_binary import add as add
from dualad.numpy._ufuncs_binary import arctan2 as arctan2
from dualad.numpy._ufuncs_binary import copysign as copysign
from dualad.numpy._ufuncs_binary import divmod as divmod
from dualad.numpy._ufuncs_binary import float_power as float_power
from dualad.numpy._ufuncs_binary import floor_divide as floor_divide
from dualad.numpy._ufuncs_binary import fmax as fmax
from dualad.numpy._ufuncs_binary import fmin as fmin
from dualad.numpy._ufuncs_binary import fmod as fmod
from dualad.numpy._ufuncs_binary import heaviside as heaviside
from dualad.numpy._ufuncs_binary import hypot as hypot
from dualad.numpy._ufuncs_binary import ldexp as ldexp
from dualad.numpy._ufuncs_binary import logaddexp as logaddexp
from dualad.numpy._ufuncs_binary import logaddexp2 as logaddexp2
from dualad.numpy._ufuncs_binary import matmul as matmul
from dualad.numpy._ufuncs_binary import maximum as maximum
from dualad.numpy._ufuncs_binary import minimum as minimum
from dualad.numpy._ufuncs_binary import multiply as multiply
from dualad.numpy._ufuncs_binary import nextafter as nextafter
from dualad.numpy._ufuncs_binary import power as power
from dualad.numpy._ufuncs_binary import remainder as remainder
from dualad.numpy._ufuncs_binary import subtract as subtract
from dualad.numpy._ufuncs_binary import true_divide as true_divide

# NumPy's other names for the same functions (``abs``, ``divide``, NumPy 2's ``acos``, ...)
abs = absolute  # noqa: A001
acos = arccos
acosh = arccosh
asin = arcsin
asinh = arcsinh
atan = arctan
atan2 = arctan2
atanh = arctanh
degrees = rad2deg
divide = true_divide
mod = remainder
pow = power  # noqa: A001
radians = deg2rad

# NumPy's own functions, called on a traced value, are answered by the ones above.
import sys as _sys  # noqa: E402

from dualad.numpy import _protocol  # noqa: E402
from dualad.numpy._protocol import register as register  # noqa: E402
from dualad.numpy._protocol import supported as supported  # noqa: E402
from dualad.numpy._protocol import unregister as unregister  # noqa: E402

_protocol.install(_sys.modules[__name__])
__getattr__ = _protocol.module_getattr  # a missing name says where the supported ones are listed
