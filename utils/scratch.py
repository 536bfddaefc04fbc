"""The tanh RNN and the LSTM, forward pass only, in plain NumPy.

Nothing here imports TensorFlow: every multiplication is visible. The book
writes the equations with column vectors (``W_xh x_t``); the code uses the
row-vector convention of Keras (``x_t @ W_xh``), so each weight matrix here is
the transpose of the one in the equations and has exactly the shape of the
matching Keras weight. The chapters check these functions against
``keras.layers.SimpleRNN`` and ``keras.layers.LSTM``; ``tests/test_scratch.py``
does the same as a guarantee.

Shapes: ``x`` is ``(batch, time, input_dim)``; ``mask`` is ``(batch, time)``
booleans, ``False`` on padding. A masked step leaves the state unchanged and
repeats the previous output, which is what Keras does.

RNN (Elman, 1990)::

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)

LSTM with forget gate (Hochreiter & Schmidhuber, 1997; Gers et al., 2000)::

    i_t = sigmoid(x_t W_xi + h_{t-1} W_hi + b_i)        input gate
    f_t = sigmoid(x_t W_xf + h_{t-1} W_hf + b_f)        forget gate
    g_t = tanh   (x_t W_xg + h_{t-1} W_hg + b_g)        candidate cell (c-tilde)
    o_t = sigmoid(x_t W_xo + h_{t-1} W_ho + b_o)        output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

GATES = ("i", "f", "g", "o")
"""LSTM gate order used by Keras' stacked kernels: input, forget, cell candidate (Keras calls it c), output."""


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, computed without overflow for large negative inputs."""
    z = np.asarray(z)
    out = np.empty_like(z, dtype=np.result_type(z, np.float32))
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _check_inputs(x: np.ndarray, mask: np.ndarray | None, input_dim: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, input_dim), got {x.shape}")
    if x.shape[2] != input_dim:
        raise ValueError(f"x has {x.shape[2]} features per step but the weights expect {input_dim}")
    if mask is None:
        mask = np.ones(x.shape[:2], dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != x.shape[:2]:
        raise ValueError(f"mask must have shape {x.shape[:2]}, got {mask.shape}")
    return x, mask


# --------------------------------------------------------------------------- RNN


@dataclass
class RNNParams:
    """Weights of a tanh RNN layer, in Keras' layout.

    ``W_xh``: ``(input_dim, units)``; ``W_hh``: ``(units, units)``; ``b_h``: ``(units,)``.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray

    @property
    def units(self) -> int:
        return self.W_hh.shape[0]

    @property
    def input_dim(self) -> int:
        return self.W_xh.shape[0]

    @classmethod
    def init(cls, input_dim: int, units: int, rng: np.random.Generator | None = None, scale: float = 0.5):
        """Random weights (uniform in ``[-scale, scale]``), for experiments and tests."""
        rng = rng or np.random.default_rng(0)
        u = lambda *shape: rng.uniform(-scale, scale, size=shape).astype(np.float32)  # noqa: E731
        return cls(u(input_dim, units), u(units, units), u(units))

    @classmethod
    def from_keras(cls, layer) -> "RNNParams":
        """Read the weights of a built ``keras.layers.SimpleRNN``."""
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        return cls(kernel, recurrent, bias)

    def keras_weights(self) -> list[np.ndarray]:
        """The list ``[kernel, recurrent_kernel, bias]`` for ``SimpleRNN.set_weights``."""
        return [self.W_xh, self.W_hh, self.b_h]

    def count(self) -> int:
        """Number of parameters: ``units * (input_dim + units + 1)``."""
        return sum(getattr(self, f.name).size for f in fields(self))


def rnn_cell(x_t: np.ndarray, h_prev: np.ndarray, p: RNNParams) -> np.ndarray:
    """One step: ``tanh(x_t W_xh + h_prev W_hh + b_h)``; ``x_t`` is ``(batch, input_dim)``."""
    return np.tanh(x_t @ p.W_xh + h_prev @ p.W_hh + p.b_h)


def rnn_forward(
    x: np.ndarray,
    p: RNNParams,
    *,
    mask: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    return_sequences: bool = False,
) -> np.ndarray:
    """Run the RNN over ``x``.

    Returns the last hidden state ``(batch, units)``, or every hidden state
    ``(batch, time, units)`` with ``return_sequences=True``.
    """
    x, mask = _check_inputs(x, mask, p.input_dim)
    batch, steps, _ = x.shape
    h = np.zeros((batch, p.units), dtype=x.dtype) if h0 is None else np.asarray(h0, dtype=x.dtype)
    outputs = np.empty((batch, steps, p.units), dtype=x.dtype)
    for t in range(steps):
        h_new = rnn_cell(x[:, t], h, p)
        h = np.where(mask[:, t, None], h_new, h)  # padding: keep the state
        outputs[:, t] = h
    return outputs if return_sequences else h


# --------------------------------------------------------------------------- LSTM


@dataclass
class LSTMParams:
    """Weights of an LSTM layer, one matrix per gate, in Keras' row-vector layout.

    ``W_x*``: ``(input_dim, units)``; ``W_h*``: ``(units, units)``; ``b_*``: ``(units,)``
    for the gates ``i`` (input), ``f`` (forget), ``g`` (candidate) and ``o`` (output).
    """

    W_xi: np.ndarray
    W_xf: np.ndarray
    W_xg: np.ndarray
    W_xo: np.ndarray
    W_hi: np.ndarray
    W_hf: np.ndarray
    W_hg: np.ndarray
    W_ho: np.ndarray
    b_i: np.ndarray
    b_f: np.ndarray
    b_g: np.ndarray
    b_o: np.ndarray

    @property
    def units(self) -> int:
        return self.W_hi.shape[0]

    @property
    def input_dim(self) -> int:
        return self.W_xi.shape[0]

    @classmethod
    def init(cls, input_dim: int, units: int, rng: np.random.Generator | None = None, scale: float = 0.5):
        """Random weights (uniform in ``[-scale, scale]``), for experiments and tests."""
        rng = rng or np.random.default_rng(0)
        u = lambda *shape: rng.uniform(-scale, scale, size=shape).astype(np.float32)  # noqa: E731
        mats = {f"W_x{g}": u(input_dim, units) for g in GATES}
        mats |= {f"W_h{g}": u(units, units) for g in GATES}
        mats |= {f"b_{g}": u(units) for g in GATES}
        return cls(**mats)

    @classmethod
    def from_keras(cls, layer) -> "LSTMParams":
        """Split the stacked weights of a built ``keras.layers.LSTM``.

        Keras stores ``kernel`` as ``(input_dim, 4*units)``, ``recurrent_kernel``
        as ``(units, 4*units)`` and ``bias`` as ``(4*units,)``, with the four
        gates side by side in the order i, f, c (our g), o.
        """
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        units = recurrent.shape[0]
        if kernel.shape[1] != 4 * units or bias.shape != (4 * units,):
            raise ValueError("expected an LSTM with a bias: kernel (input_dim, 4*units), bias (4*units,)")
        mats = {}
        for k, g in enumerate(GATES):
            cols = slice(k * units, (k + 1) * units)
            mats[f"W_x{g}"] = kernel[:, cols]
            mats[f"W_h{g}"] = recurrent[:, cols]
            mats[f"b_{g}"] = bias[cols]
        return cls(**mats)

    def keras_weights(self) -> list[np.ndarray]:
        """``[kernel, recurrent_kernel, bias]`` stacked in Keras' i, f, c, o order, for ``LSTM.set_weights``."""
        kernel = np.concatenate([getattr(self, f"W_x{g}") for g in GATES], axis=1)
        recurrent = np.concatenate([getattr(self, f"W_h{g}") for g in GATES], axis=1)
        bias = np.concatenate([getattr(self, f"b_{g}") for g in GATES])
        return [kernel, recurrent, bias]

    def count(self) -> int:
        """Number of parameters: ``4 * units * (input_dim + units + 1)``."""
        return sum(getattr(self, f.name).size for f in fields(self))


def lstm_cell(
    x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, p: LSTMParams
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM step. Returns ``(h_t, c_t, gates)`` with ``gates = {"i", "f", "g", "o"}``."""
    i = sigmoid(x_t @ p.W_xi + h_prev @ p.W_hi + p.b_i)
    f = sigmoid(x_t @ p.W_xf + h_prev @ p.W_hf + p.b_f)
    g = np.tanh(x_t @ p.W_xg + h_prev @ p.W_hg + p.b_g)
    o = sigmoid(x_t @ p.W_xo + h_prev @ p.W_ho + p.b_o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, {"i": i, "f": f, "g": g, "o": o}


def lstm_forward(
    x: np.ndarray,
    p: LSTMParams,
    *,
    mask: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    return_sequences: bool = False,
    return_state: bool = False,
    return_gates: bool = False,
):
    """Run the LSTM over ``x``.

    Returns the output (last ``h`` of shape ``(batch, units)``, or all of them,
    ``(batch, time, units)``, with ``return_sequences=True``). With
    ``return_state=True`` also the final ``(h, c)``; with ``return_gates=True``
    also a dict of per-step gate activations and cell states, each
    ``(batch, time, units)``, under ``"i", "f", "g", "o", "c"``.
    """
    x, mask = _check_inputs(x, mask, p.input_dim)
    batch, steps, _ = x.shape
    h = np.zeros((batch, p.units), dtype=x.dtype) if h0 is None else np.asarray(h0, dtype=x.dtype)
    c = np.zeros((batch, p.units), dtype=x.dtype) if c0 is None else np.asarray(c0, dtype=x.dtype)
    outputs = np.empty((batch, steps, p.units), dtype=x.dtype)
    trace = {k: np.empty((batch, steps, p.units), dtype=x.dtype) for k in (*GATES, "c")} if return_gates else None
    for t in range(steps):
        h_new, c_new, gates = lstm_cell(x[:, t], h, c, p)
        keep = mask[:, t, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)  # padding: keep the state
        outputs[:, t] = h
        if trace is not None:
            for k in GATES:
                trace[k][:, t] = gates[k]
            trace["c"][:, t] = c
    result = [outputs if return_sequences else h]
    if return_state:
        result += [h, c]
    if return_gates:
        result.append(trace)
    return result[0] if len(result) == 1 else tuple(result)
