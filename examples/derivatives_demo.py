"""A tour of dualad's transforms on a small function: gradients, Jacobians, Hessians.

Run: python examples/derivatives_demo.py
"""

from __future__ import annotations

import numpy as np

import dualad as d


def f(x: np.ndarray) -> object:
    return d.sum(d.tanh(x) ** 2) + x[0] * x[1]


def main() -> None:
    x = np.array([0.5, -1.0, 2.0])
    print("f(x)            =", f(x))
    print("grad (reverse)  =", d.grad(f)(x))
    print("grad (forward)  =", d.grad(f, mode="forward")(x))
    print("hessian         =\n", d.hessian(f)(x))
    print("jacobian of sin =\n", d.jacobian(d.sin)(x))
    w = d.Tensor(x, requires_grad=True)
    loss = d.sum(d.tanh(w) ** 2) + w[0] * w[1]
    loss.backward()
    print("Tensor.backward =", w.grad)


if __name__ == "__main__":
    main()
