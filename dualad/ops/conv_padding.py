"""PyTorch's string paddings of a convolution: ``padding="valid"`` and ``padding="same"``.

``"valid"`` is no padding. ``"same"`` (stride 1 only, as in PyTorch) keeps the spatial size:
``dilation * (kernel - 1)`` zeros in all, split evenly, the odd one (an even kernel) going
after the signal -- PyTorch's choice. An even split becomes the convolution's own symmetric
padding; an uneven one pads the input first (a differentiable ``pad``).
"""

from __future__ import annotations

from typing import Any

from dualad.ops._util import shape_of
from dualad.ops.joining import pad

__all__ = ["check_padding_string", "resolve_string_padding"]

PADDING_STRINGS = ("valid", "same")


def check_padding_string(padding: str, stride: tuple[int, ...], op: str) -> None:
    """Raise unless ``padding`` is a string PyTorch accepts with this stride."""
    if padding not in PADDING_STRINGS:
        raise ValueError(f"{op}: padding must be an int, a tuple of ints, 'valid' or 'same'; "
                         f"got {padding!r}")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride}); pass the padding as ints instead")


def resolve_string_padding(x: Any, padding: str, kernel: tuple[int, int], stride: tuple[int, int],
                           dilation: tuple[int, int], op: str) -> tuple[Any, tuple[int, int]]:
    """``(x, symmetric padding)`` for a string ``padding`` of a 2-D convolution of ``x``
    ``(N, C, H, W)``: ``x`` is padded first where ``"same"`` needs an uneven split."""
    check_padding_string(padding, stride, op)
    if padding == "valid":
        return x, (0, 0)
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    before = [t // 2 for t in totals]
    extra = [t - 2 * b for t, b in zip(totals, before)]  # 1 after the signal for even totals
    if any(extra):
        widths = [(0, 0)] * (len(shape_of(x)) - 2) + [(0, e) for e in extra]
        x = pad(x, widths)
    return x, (before[0], before[1])
