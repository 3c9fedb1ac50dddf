"""``Parameter``: a trainable array that modules find and optimizers update.

Optimizers read its ``.grad`` (a NumPy array) and update its ``.data`` in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dualad.engines.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A trainable array: a leaf ``Tensor`` with ``requires_grad=True`` that a Module finds.

    The array is copied, so the parameter never aliases the caller's data.

    Args:
        data: initial value (floating point).
        requires_grad: set to False to freeze the parameter (optimizers skip it).
        dtype: optional dtype; defaults to the dtype of ``data``.

    Examples:
        >>> import numpy as np
        >>> from dualad.nn import Parameter
        >>> w = Parameter(np.ones(3, dtype=np.float32))
        >>> (w * w).sum().backward()
        >>> w.grad
        array([2., 2., 2.], dtype=float32)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.detach()._value
        super().__init__(np.array(data, dtype=dtype, copy=True), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]
