"""Complex example inputs made from real ones, for ops whose rules hold for complex values.

Linear ops (flip, stack, pad, ...) and bilinear ones (einsum, tensordot, ...) take complex
inputs unchanged; :func:`with_imaginary_parts` turns a real sampler into a complex one by
adding an imaginary part in [-1, 1] to every float input.
"""

from __future__ import annotations

import numpy as np

from dualad._core.registry import Example, SampleFn


def with_imaginary_parts(sample: SampleFn) -> SampleFn:
    """The sampler ``sample`` with a random imaginary part added to each float array input."""

    def complex_sample(rng: np.random.Generator) -> Example:
        ex = sample(rng)
        args = tuple(
            np.asarray(a) + 1j * rng.uniform(-1.0, 1.0, np.shape(a))
            if np.asarray(a).dtype.kind == "f" else a
            for a in ex.args
        )
        return Example(args, ex.params)

    return complex_sample
