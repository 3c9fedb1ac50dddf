"""Recurrent layers ``RNN``, ``GRU`` and ``LSTM``, with PyTorch's parameters and gate order.

Parameters are named as in PyTorch (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse`` for the backward direction), with the gates stacked along
the first axis in PyTorch's order -- GRU: reset, update, new (``r, z, n``); LSTM: input,
forget, cell, output (``i, f, g, o``) -- so ``load_state_dict(torch_model.state_dict())``
(as NumPy arrays) reproduces a PyTorch model exactly. All are initialised from
``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``.

The input projection of a whole sequence is one fused ``linear``; the recurrence is a Python
loop over time steps (each step depends on the previous one), each step one ``linear`` for
all gates of the hidden state and one fused primitive for the gate arithmetic
(``dualad.ops.recurrent_cells``: a GRU step is 3 graph nodes, an LSTM step 4, an RNN step
4), and the outputs are one ``stack`` at the end. The step's read ``xw[t]`` of
the projection costs O(step) in the backward pass (see ``dualad.engines.slice_cotangent``),
so training time is linear in the sequence length.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dualad import ops
from dualad._core.errors import ShapeError
from dualad.nn import functional as F
from dualad.nn import init
from dualad.nn.module import Module
from dualad.nn.parameter import Parameter
from dualad.ops._util import dtype_of, shape_of
from dualad.ops.joining import stack
from dualad.ops.recurrent_cells import gru_cell, lstm_cell

__all__ = ["GRU", "LSTM", "RNN"]


class _RecurrentBase(Module):
    """Shared parameters, shape handling and time loop; subclasses define the cell."""

    gates = 1
    states = 1  # hidden state only (LSTM also has a cell state)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if min(input_size, hidden_size, num_layers) < 1:
            raise ValueError(f"{name}: input_size, hidden_size and num_layers must be positive")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional = bidirectional
        self.rng = rng if rng is not None else np.random.default_rng()
        bound = 1.0 / math.sqrt(hidden_size)
        rows = self.gates * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                shapes: list[tuple[str, tuple[int, ...]]] = [("weight_ih", (rows, width)),
                                                           ("weight_hh", (rows, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for kind, shape in shapes:
                    param = init.uniform_(Parameter(np.empty(shape, dtype=dtype)), -bound, bound, self.rng)
                    setattr(self, kind + suffix, param)

    @property
    def directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.directions]

    def _cell(self, gi: Any, gh: Any, state: tuple[Any, ...]) -> tuple[Any, ...]:
        raise NotImplementedError

    # ------------------------------------------------------------------ shapes
    def _split_states(self, hx: Any, n: int, batched: bool, dtype: Any) -> list[tuple[Any, ...]]:
        """Per (layer, direction) initial states from ``hx`` (zeros when it is None)."""
        count, h = self.num_layers * self.directions, self.hidden_size
        if hx is None:
            zeros = np.zeros((n, h), dtype=dtype)
            return [(zeros,) * self.states for _ in range(count)]
        if self.states > 1 and not (isinstance(hx, (tuple, list)) and len(hx) == self.states):
            raise ValueError(f"{type(self).__name__}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        parts = tuple(hx) if self.states > 1 else (hx,)
        want = (count, n, h) if batched else (count, h)
        for part in parts:
            if shape_of(part) != want:
                raise ShapeError(f"{type(self).__name__}: initial state must have shape {want} "
                                 f"(num_layers * directions, batch, hidden_size), got {shape_of(part)}")
        if not batched:
            parts = tuple(ops.reshape(p, (count, 1, h)) for p in parts)
        return [tuple(ops.getitem(p, (k,)) for p in parts) for k in range(count)]

    def _run(self, x: Any, state: tuple[Any, ...], suffix: str, reverse: bool) -> tuple[Any, tuple[Any, ...]]:
        """One layer in one direction over ``(L, N, features)``; outputs ``(L, N, H)``."""
        w_ih, w_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        hidden: Callable[[Any], Any]  # the hidden state's projection for all gates: one node
        if self.bias:
            b_hh = getattr(self, "bias_hh" + suffix)
            xw = ops.linear(x, w_ih, getattr(self, "bias_ih" + suffix))  # every step at once
            hidden = lambda h: ops.linear(h, w_hh, b_hh)  # noqa: E731
        else:
            xw, w_hh_t = ops.matmul(x, ops.transpose(w_ih)), ops.transpose(w_hh)
            hidden = lambda h: ops.matmul(h, w_hh_t)  # noqa: E731
        length = shape_of(x)[0]
        hs: list[Any] = [None] * length
        for t in (range(length - 1, -1, -1) if reverse else range(length)):
            state = self._cell(ops.getitem(xw, (t,)), hidden(state[0]), state)
            hs[t] = state[0]
        return stack(hs, axis=0), state

    def forward(self, x: Any, hx: Any = None) -> tuple[Any, Any]:
        """Run the layers over a sequence.

        Args:
            x: ``(L, N, input_size)``, ``(N, L, input_size)`` if ``batch_first``, or an
                unbatched ``(L, input_size)``.
            hx: initial state ``(num_layers * directions, N, hidden_size)`` (LSTM: a pair
                ``(h_0, c_0)``); zeros if omitted.

        Returns:
            ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``): ``output`` holds the last
            layer's hidden state at every step, ``(L, N, directions * hidden_size)`` (batch
            first if ``batch_first``); ``h_n`` the final state of every layer and direction.
        """
        s, name = shape_of(x), type(self).__name__
        if len(s) not in (2, 3):
            raise ShapeError(f"{name} expects input of shape (L, N, input_size) or (L, input_size), "
                             f"got shape {s}")
        if s[-1] != self.input_size:
            raise ShapeError(f"{name} was built for input_size={self.input_size}, but the input of "
                             f"shape {s} has {s[-1]} features on its last axis")
        batched = len(s) == 3
        if not batched:
            x = ops.reshape(x, (s[0], 1, s[1]))
        elif self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        length, n = shape_of(x)[:2]
        if length == 0:
            raise ShapeError(f"{name}: the input sequence is empty")
        states = self._split_states(hx, n, batched, dtype_of(x))
        finals: list[tuple[Any, ...]] = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                seq, final = self._run(x, states[layer * self.directions + d], suffix, reverse=d == 1)
                outs.append(seq)
                finals.append(final)
            x = outs[0] if len(outs) == 1 else ops.concatenate(outs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, self.rng)
        if not batched:
            x = ops.reshape(x, (length, -1))
        elif self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        stacked = []
        for k in range(self.states):
            h_n = ops.concatenate([ops.reshape(f[k], (1, n, self.hidden_size)) for f in finals], axis=0)
            stacked.append(h_n if batched else ops.reshape(h_n, (len(finals), self.hidden_size)))
        return x, (stacked[0] if self.states == 1 else tuple(stacked))

    def extra_repr(self) -> str:
        extra = "".join(f", {k}={getattr(self, k)}" for k in ("num_layers", "bias", "batch_first",
                                                                "dropout", "bidirectional"))
        return f"{self.input_size}, {self.hidden_size}{extra}"


class RNN(_RecurrentBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Args:
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (each feeds its outputs to the next).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: use ``bias_ih``/``bias_hh``.
        batch_first: inputs and outputs are ``(N, L, features)``.
        dropout: dropout probability on the outputs of every layer but the last (training only).
        bidirectional: also run each layer backwards in time and concatenate the features.
        dtype: parameter dtype (float32 by default).
        rng: random generator for the initial values and dropout masks.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> rnn = nn.RNN(3, 5, num_layers=2, batch_first=True, rng=np.random.default_rng(0))
        >>> out, h_n = rnn(np.zeros((4, 7, 3), dtype=np.float32))
        >>> out.shape, h_n.shape, out.dtype
        ((4, 7, 5), (2, 4, 5), dtype('float32'))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, rng)

    def _cell(self, gi: Any, gh: Any, state: tuple[Any, ...]) -> tuple[Any, ...]:
        pre = ops.add(gi, gh)
        return (ops.tanh(pre) if self.nonlinearity == "tanh" else ops.relu(pre),)


class GRU(_RecurrentBase):
    """Gated recurrent unit, gates ``r, z, n`` in PyTorch's order and formulas::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Arguments as :class:`RNN` (without ``nonlinearity``).

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> gru = nn.GRU(3, 5, rng=np.random.default_rng(0))
        >>> out, h_n = gru(np.zeros((7, 4, 3), dtype=np.float32))
        >>> out.shape, h_n.shape
        ((7, 4, 5), (1, 4, 5))
    """

    gates = 3

    def _cell(self, gi: Any, gh: Any, state: tuple[Any, ...]) -> tuple[Any, ...]:
        return (gru_cell(gi, gh, state[0]),)  # the gate arithmetic: one fused primitive


class LSTM(_RecurrentBase):
    """Long short-term memory, gates ``i, f, g, o`` in PyTorch's order and formulas::

        i, f, o = sigmoid(...), g = tanh(...)   (each W_i* x + b_i* + W_h* h + b_h*)
        c' = f * c + i * g
        h' = o * tanh(c')

    Arguments as :class:`RNN` (without ``nonlinearity``); the state is a pair ``(h, c)``.

    Examples:
        >>> import numpy as np
        >>> from dualad import nn
        >>> lstm = nn.LSTM(3, 5, num_layers=2, rng=np.random.default_rng(0))
        >>> out, (h_n, c_n) = lstm(np.zeros((7, 4, 3), dtype=np.float32))
        >>> out.shape, h_n.shape, c_n.shape
        ((7, 4, 5), (2, 4, 5), (2, 4, 5))
    """

    gates = 4
    states = 2

    def _cell(self, gi: Any, gh: Any, state: tuple[Any, ...]) -> tuple[Any, ...]:
        return lstm_cell(ops.add(gi, gh), state[1])  # the gate arithmetic: one fused primitive
