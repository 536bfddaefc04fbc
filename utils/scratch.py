"""The tanh RNN and the LSTM, forward pass only, in plain NumPy.

Nothing here imports TensorFlow: every multiplication is visible. The book
writes the equations with column vectors (``W_xh x_t``); the code uses the
row-vector convention of Keras (``x_t @ W_xh``), so each weight matrix here is
the transpose of the one in the equations and has exactly the shape of the
matching Keras weight. The chapters check these functions against
``keras.layers.SimpleRNN`` and ``keras.layers.LSTM``; ``tests/test_scratch_rnn.py``
and ``tests/test_scratch_lstm.py`` do the same as a guarantee.

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

__all__ = ["RNNParams", "LSTMParams", "rnn_cell", "rnn_forward", "lstm_cell", "lstm_forward", "padding_mask",
    "sigmoid"]

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
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must hold floating-point features, got dtype {x.dtype}; if these are token ids, "
            "look up their embedding vectors first (x = E[ids])"
        )
    return x, mask


def _keras_weights(layer, kind: str) -> list[np.ndarray]:
    """``[kernel, recurrent_kernel, bias]`` of a built Keras layer, or an error that says what to do.

    ``kind`` (``"SimpleRNN"`` or ``"LSTM"``) names the layer class in the message.
    """
    weights = [np.asarray(w) for w in layer.get_weights()]
    if not weights:
        raise ValueError(
            f"{getattr(layer, 'name', layer)!r} has no weights yet: build it first "
            "(call it on an input, or layer.build((None, None, input_dim)))"
        )
    if len(weights) != 3:
        raise ValueError(
            f"expected a {kind} layer with a bias (3 weight arrays: kernel, recurrent_kernel, bias), "
            f"got {len(weights)} arrays; use keras.layers.{kind}(..., use_bias=True)"
        )
    return weights


# --------------------------------------------------------------------------- RNN


def padding_mask(lengths, steps: int, *, side: str = "post") -> np.ndarray:
    """Boolean mask ``(batch, steps)`` for sequences of the given ``lengths``: ``True`` on real steps.

    ``side="post"`` puts the padding after the real steps (what the book's
    pipelines do), ``side="pre"`` before them. A length of 0 gives a row that
    is all padding. Works for any recurrent layer here (RNN or LSTM).
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be a 1-D array of whole numbers, one per sequence, got {lengths!r}")
    if np.any(lengths < 0) or np.any(lengths > steps):
        raise ValueError(f"every length must be between 0 and steps={steps}, got {lengths.tolist()}")
    if side not in ("post", "pre"):
        raise ValueError(f"side must be 'post' (padding after the tokens) or 'pre' (before them), not {side!r}")
    position = np.arange(steps)[None, :]
    if side == "post":
        return position < lengths[:, None]
    return position >= steps - lengths[:, None]


class _LayerParams:
    """What the parameter classes share: shape checks, sizes, random init and the parameter count.

    A subclass is a dataclass whose fields are named ``W_x*`` (shape
    ``(input_dim, units)``), ``W_h*`` (``(units, units)``) and ``b_*`` (``(units,)``).
    """

    def __post_init__(self):
        for f in fields(self):
            setattr(self, f.name, np.asarray(getattr(self, f.name)))
        first = getattr(self, fields(self)[0].name)
        if first.ndim != 2:
            raise ValueError(f"{fields(self)[0].name} must be a matrix (input_dim, units), got shape {first.shape}")
        input_dim, units = first.shape
        for f in fields(self):
            want = self._shape(f.name, input_dim, units)
            got = getattr(self, f.name).shape
            if got != want:
                raise ValueError(
                    f"{type(self).__name__}.{f.name} has shape {got}, expected {want} (input_dim={input_dim}, "
                    f"units={units}; row-vector layout: W_x* is (input_dim, units), W_h* is (units, units), "
                    f"b_* is (units,))"
                )

    @staticmethod
    def _shape(name: str, input_dim: int, units: int) -> tuple[int, ...]:
        return {"W_x": (input_dim, units), "W_h": (units, units)}.get(name[:3], (units,))

    @property
    def units(self) -> int:
        return getattr(self, fields(self)[0].name).shape[1]

    @property
    def input_dim(self) -> int:
        return getattr(self, fields(self)[0].name).shape[0]

    @classmethod
    def init(cls, input_dim: int, units: int, rng: np.random.Generator | None = None, scale: float = 0.5):
        """Random weights (uniform in ``[-scale, scale]``), for experiments and tests."""
        rng = rng or np.random.default_rng(0)
        return cls(**{f.name: rng.uniform(-scale, scale, size=cls._shape(f.name, input_dim, units)).astype(np.float32)
                      for f in fields(cls)})

    def count(self) -> int:
        """Number of parameters (the sizes of all the arrays)."""
        return sum(getattr(self, f.name).size for f in fields(self))


@dataclass
class RNNParams(_LayerParams):
    """Weights of a tanh RNN layer, in Keras' row-vector layout.

    ``W_xh``: ``(input_dim, units)``; ``W_hh``: ``(units, units)``; ``b_h``: ``(units,)``.
    These are the transposes of the matrices in the book's equations
    (``h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)`` with column vectors), and
    exactly the ``kernel``, ``recurrent_kernel`` and ``bias`` of
    ``keras.layers.SimpleRNN``. ``count()`` is ``units * (input_dim + units + 1)``.
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray

    @classmethod
    def from_keras(cls, layer) -> RNNParams:
        """Read the weights of a built ``keras.layers.SimpleRNN`` (with its default ``use_bias=True``)."""
        kernel, recurrent, bias = _keras_weights(layer, "SimpleRNN")
        if recurrent.ndim != 2 or recurrent.shape[0] != recurrent.shape[1]:
            raise ValueError(
                f"recurrent_kernel has shape {recurrent.shape}, not (units, units): this is not a SimpleRNN "
                "(an LSTM stacks four gates side by side; read it with LSTMParams.from_keras)"
            )
        return cls(kernel, recurrent, bias)

    def keras_weights(self) -> list[np.ndarray]:
        """The list ``[kernel, recurrent_kernel, bias]`` for ``SimpleRNN.set_weights``."""
        return [self.W_xh, self.W_hh, self.b_h]


def rnn_cell(x_t: np.ndarray, h_prev: np.ndarray, p: RNNParams) -> np.ndarray:
    """One step: ``tanh(x_t W_xh + h_prev W_hh + b_h)``.

    ``x_t`` is ``(batch, input_dim)``, ``h_prev`` is ``(batch, units)``; returns ``(batch, units)``.
    """
    return np.tanh(x_t @ p.W_xh + h_prev @ p.W_hh + p.b_h)


def rnn_forward(
    x: np.ndarray,
    p: RNNParams,
    *,
    mask: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    return_sequences: bool = False,
) -> np.ndarray:
    """Run the RNN over ``x`` (``(batch, time, input_dim)``, floating point), one step at a time.

    ``h0`` is the initial state ``(batch, units)``, zeros by default.
    ``mask`` (``(batch, time)``, ``False`` on padding; see :func:`padding_mask`)
    makes a padded step keep the state and repeat the previous output, as
    Keras does: padding after a sequence leaves its final state unchanged, and
    padding before it leaves ``h0`` in place until the first real step. Like
    Keras, the "previous output" before any real step is zeros, so with a
    non-zero ``h0`` the outputs at leading padding (and the result for an
    all-padding row) are zeros, not ``h0``; with the default ``h0`` the two agree.

    Returns the last output ``(batch, units)`` (the hidden state after the last
    real step), or every output ``(batch, time, units)`` with
    ``return_sequences=True``.
    """
    x, mask = _check_inputs(x, mask, p.input_dim)
    batch, steps, _ = x.shape
    h = np.zeros((batch, p.units), dtype=x.dtype) if h0 is None else np.asarray(h0, dtype=x.dtype)
    if h.shape != (batch, p.units):
        raise ValueError(f"h0 must have shape (batch, units) = {(batch, p.units)}, got {h.shape}")
    outputs = np.empty((batch, steps, p.units), dtype=x.dtype)
    out = np.zeros((batch, p.units), dtype=x.dtype)  # the "previous output" before the first step
    for t in range(steps):
        h_new = rnn_cell(x[:, t], h, p)
        real = mask[:, t, None]
        h = np.where(real, h_new, h)  # padding: keep the state ...
        out = np.where(real, h_new, out)  # ... and repeat the previous output
        outputs[:, t] = out
    return outputs if return_sequences else out


# --------------------------------------------------------------------------- LSTM


@dataclass
class LSTMParams(_LayerParams):
    """Weights of an LSTM layer, one matrix per gate, in Keras' row-vector layout.

    ``W_x*``: ``(input_dim, units)``; ``W_h*``: ``(units, units)``; ``b_*``: ``(units,)``
    for the gates ``i`` (input), ``f`` (forget), ``g`` (candidate) and ``o`` (output).
    ``count()`` is ``4 * units * (input_dim + units + 1)``.
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

    @classmethod
    def from_keras(cls, layer) -> LSTMParams:
        """Split the stacked weights of a built ``keras.layers.LSTM``.

        Keras stores ``kernel`` as ``(input_dim, 4*units)``, ``recurrent_kernel``
        as ``(units, 4*units)`` and ``bias`` as ``(4*units,)``, with the four
        gates side by side in the order i, f, c (our g), o.
        """
        kernel, recurrent, bias = _keras_weights(layer, "LSTM")
        units = recurrent.shape[0]
        if kernel.ndim != 2 or recurrent.shape != (units, 4 * units) or kernel.shape[1] != 4 * units \
                or bias.shape != (4 * units,):
            raise ValueError(
                "expected LSTM weights kernel (input_dim, 4*units), recurrent_kernel (units, 4*units), "
                f"bias (4*units,); got {kernel.shape}, {recurrent.shape}, {bias.shape}"
            )
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
    for name, state in (("h0", h), ("c0", c)):
        if state.shape != (batch, p.units):
            raise ValueError(f"{name} must have shape (batch, units) = {(batch, p.units)}, got {state.shape}")
    outputs = np.empty((batch, steps, p.units), dtype=x.dtype)
    out = np.zeros((batch, p.units), dtype=x.dtype)  # the "previous output" before the first step (as in Keras)
    trace = {k: np.empty((batch, steps, p.units), dtype=x.dtype) for k in (*GATES, "c")} if return_gates else None
    for t in range(steps):
        h_new, c_new, gates = lstm_cell(x[:, t], h, c, p)
        keep = mask[:, t, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)  # padding: keep the state ...
        out = np.where(keep, h_new, out)  # ... and repeat the previous output
        outputs[:, t] = out
        if trace is not None:
            for k in GATES:
                trace[k][:, t] = gates[k]
            trace["c"][:, t] = c
    result = [outputs if return_sequences else out]
    if return_state:
        result += [h, c]
    if return_gates:
        result.append(trace)
    return result[0] if len(result) == 1 else tuple(result)
