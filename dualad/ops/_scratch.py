"""Large arrays whose memory is reused across calls, instead of fresh memory every time.

A training step allocates the same multi-megabyte arrays every step (im2col columns, the
pooling gradients). When NumPy frees them, glibc hands big blocks back to the operating
system (``munmap``, or trimming the top of the heap), and the next step's first touch of
each fresh page is a page fault: measured at 30-40 % of a CNN step in a default process.
:func:`empty` instead hands out the memory of an array this module allocated before, once
nothing uses it any more: the cache holds the only reference to it (every NumPy view holds
a reference to the array that owns its memory, so a live view, or any other holder, keeps
it in use). The rule is CPython's reference counting; elsewhere this is ``np.empty``.

At most ``_MAX_CACHED`` blocks and ``_MAX_BYTES`` bytes stay cached; :func:`clear` frees them.
"""

from __future__ import annotations

import math
import platform
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["clear", "empty", "empty_like", "zeros"]

_MIN_BYTES = 1 << 20  # smaller blocks come from the allocator's own free lists anyway
_MAX_CACHED = 8
_MAX_BYTES = 256 << 20
# Reference counts say who holds a block only on CPython with its GIL (the free-threaded
# build defers some counts): elsewhere every call gets fresh memory.
_REFCOUNTED = (platform.python_implementation() == "CPython"
               and getattr(sys, "_is_gil_enabled", lambda: True)())
_lock = threading.Lock()
_blocks: list[np.ndarray] = []  # raw uint8 blocks, least recently handed out first
_FREE = 3  # sys.getrefcount of a block only the cache holds: the list, a local name, the call


def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised C-contiguous array, on reused memory when a free block of its size
    is cached. Use it only for arrays whose every later use goes through the array (or views
    of it), never through a raw pointer."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < _MIN_BYTES or not _REFCOUNTED or dtype.hasobject:
        return np.empty(shape, dtype)
    with _lock:
        block = _take(nbytes)
    out: np.ndarray = block.view(dtype).reshape(shape)
    return out


def zeros(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """:func:`empty`, filled with zeros."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def empty_like(a: np.ndarray, shape: tuple[int, ...] | None = None, dtype: Any = None) -> np.ndarray:
    """:func:`empty` with the memory order of ``a``'s axes (as ``np.empty_like``), optionally
    with other sizes along them."""
    shape = a.shape if shape is None else shape
    order = sorted(range(a.ndim), key=lambda k: -a.strides[k])  # outermost axis first
    out = empty(tuple(shape[k] for k in order), a.dtype if dtype is None else dtype)
    back: np.ndarray = out.transpose(np.argsort(order))
    return back


def _take(nbytes: int) -> np.ndarray:
    for k in range(len(_blocks)):
        block = _blocks[k]
        if block.nbytes == nbytes and sys.getrefcount(block) == _FREE:
            _blocks.append(_blocks.pop(k))  # now the most recently used
            return block
    block = np.empty(nbytes, dtype=np.uint8)
    if nbytes <= _MAX_BYTES:
        while len(_blocks) >= _MAX_CACHED or sum(b.nbytes for b in _blocks) + nbytes > _MAX_BYTES:
            if not _drop_a_free_block():
                return block  # every cached block is in use: this one is not cached
        _blocks.append(block)
    return block


def _drop_a_free_block() -> bool:
    for k in range(len(_blocks)):
        block = _blocks[k]
        if sys.getrefcount(block) == _FREE:
            del _blocks[k]
            return True
    return False


def clear() -> None:
    """Forget every cached block (memory still in use stays valid, it is only not reused)."""
    with _lock:
        _blocks.clear()
