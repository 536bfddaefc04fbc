"""Check the NumPy layers of :mod:`utils.scratch` against their Keras twins.

Chapters 2 and 4 and ``tests/test_scratch.py`` ask the same question: given
the same weights, do our NumPy forward pass and Keras' layer compute the same
function, padding included? :func:`compare_with_keras` answers it for one
input, :func:`agreement_grid` over a grid of shapes, output modes and masks.
(``utils.scratch`` itself stays free of TensorFlow.)
"""

from __future__ import annotations

import itertools

import numpy as np

from utils.config import book_seed
from utils.scratch import LSTMParams, RNNParams, lstm_forward, padding_mask, rnn_forward

__all__ = ["keras_twin", "compare_with_keras", "agreement_grid", "max_abs_diff"]

_TWINS = {RNNParams: ("SimpleRNN", rnn_forward), LSTMParams: ("LSTM", lstm_forward)}


def max_abs_diff(a, b) -> float:
    """Largest absolute difference between two arrays, computed in float64."""
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def keras_twin(p: RNNParams | LSTMParams, **kwargs):
    """The Keras layer (``SimpleRNN`` or ``LSTM``) that holds the weights of ``p``, built for any batch and length."""
    from utils._tf import keras

    if type(p) not in _TWINS:
        raise TypeError(f"expected RNNParams or LSTMParams, got {type(p).__name__}")
    layer = getattr(keras.layers, _TWINS[type(p)][0])(p.units, **kwargs)
    layer.build((None, None, p.input_dim))
    layer.set_weights(p.keras_weights())
    return layer


def compare_with_keras(p: RNNParams | LSTMParams, x, *, mask=None, return_sequences: bool = False) -> float:
    """Largest absolute difference between our forward pass over ``x`` and the Keras layer's, same weights."""
    forward = _TWINS[type(p)][1]
    ours = forward(x, p, mask=mask, return_sequences=return_sequences)
    theirs = np.asarray(keras_twin(p, return_sequences=return_sequences)(x, mask=mask))
    if ours.shape != theirs.shape:
        raise AssertionError(f"shapes differ: ours {ours.shape}, Keras {theirs.shape}")
    return max_abs_diff(ours, theirs)


def agreement_grid(params_class, *, batches=(1, 8, 64), steps=(1, 10, 100), paddings=("none", "post", "pre"),
                   input_dim: int = 8, units: int = 16, seed: int | None = None):
    """:func:`compare_with_keras` on every combination of batch size, length, output mode and padding.

    Each case draws new random weights and inputs from its own seed
    (``seed + case number``; ``seed`` defaults to ``$BOOK_SEED``). With padding, row lengths are random from 0 (a row
    that is all padding) to the full length, and the first row is always full.
    Returns a ``pandas.DataFrame``, one row per case, with ``max_abs_diff``.
    """
    import pandas as pd

    seed = book_seed(seed)
    rows = []
    for k, (batch, length, return_sequences, padding) in enumerate(
            itertools.product(batches, steps, (False, True), paddings)):
        rng = np.random.default_rng(seed + k)
        p = params_class.init(input_dim, units, rng=rng)
        x = rng.normal(size=(batch, length, input_dim)).astype("float32")
        mask = None
        if padding != "none":
            lengths = rng.integers(0, length + 1, size=batch)
            lengths[0] = length
            mask = padding_mask(lengths, length, side=padding)
        rows.append({"batch": batch, "steps": length, "return_sequences": return_sequences, "padding": padding,
                     "max_abs_diff": compare_with_keras(p, x, mask=mask, return_sequences=return_sequences)})
    return pd.DataFrame(rows)
