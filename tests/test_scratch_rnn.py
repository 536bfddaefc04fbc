"""The NumPy RNN of ``utils.scratch`` against ``keras.layers.SimpleRNN`` (chapter 2's guarantee).

Every comparison builds a Keras layer, copies the same weights into it and
requires the outputs to agree to 1e-5 (float32 round-off is ~1e-7 here).
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import TOL, keras_twin, mixed_padding_mask
from _helpers import max_abs_diff as max_diff
from _helpers import random_case as _random_case

from utils._tf import keras
from utils.scratch import RNNParams, padding_mask, rnn_cell, rnn_forward

SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (4, 12, 7, 16),
    (6, 40, 16, 8),
]


def keras_rnn(p: RNNParams, **kwargs) -> keras.layers.SimpleRNN:
    return keras_twin(p, **kwargs)


def random_case(batch, time, input_dim, units, seed=0):
    return _random_case(RNNParams, batch, time, input_dim, units, seed)


def make_mask(kind: str, batch: int, time: int) -> np.ndarray | None:
    """None; trailing ("post") or leading ("pre") padding of random lengths; or "mixed" (see _helpers)."""
    if kind == "none":
        return None
    if kind in ("post", "pre"):
        rng = np.random.default_rng(batch * 1000 + time)
        lengths = rng.integers(0, time + 1, size=batch)
        lengths[0] = time  # at least one full row
        return padding_mask(lengths, time, side=kind)
    return mixed_padding_mask(batch, time)


# --------------------------------------------------------------------------- equality with Keras


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}-t{}-d{}-u{}".format(*s))
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("mask_kind", ["none", "post", "pre", "mixed"])
def test_matches_keras(shape, return_sequences, mask_kind):
    p, x = random_case(*shape)
    mask = make_mask(mask_kind, *shape[:2])
    expected = keras_rnn(p, return_sequences=return_sequences)(x, mask=mask)
    got = rnn_forward(x, p, mask=mask, return_sequences=return_sequences)
    assert got.shape == tuple(expected.shape)
    assert max_diff(got, expected) <= TOL


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
def test_matches_keras_with_initial_state(return_sequences):
    p, x = random_case(5, 6, 5, 4, seed=1)
    h0 = np.random.default_rng(2).uniform(-1, 1, size=(5, 4)).astype(np.float32)
    mask = make_mask("mixed", 5, 6)  # includes leading padding and an all-padding row
    expected = keras_rnn(p, return_sequences=return_sequences)(x, initial_state=h0, mask=mask)
    got = rnn_forward(x, p, h0=h0, mask=mask, return_sequences=return_sequences)
    assert max_diff(got, expected) <= TOL


def test_weights_read_from_a_keras_layer_give_the_same_function():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 9, 6)).astype(np.float32)
    layer = keras.layers.SimpleRNN(5, return_sequences=True)
    expected = layer(x)  # builds the layer with Keras' own random initialisation
    p = RNNParams.from_keras(layer)
    assert (p.input_dim, p.units) == (6, 5)
    assert max_diff(rnn_forward(x, p, return_sequences=True), expected) <= TOL


def test_the_comparison_can_fail():
    """The tolerance is tight enough to catch the classic mistake: using W_hh instead of its transpose."""
    p, x = random_case(4, 12, 7, 16, seed=4)
    wrong = RNNParams(p.W_xh, p.W_hh.T.copy(), p.b_h)
    expected = keras_rnn(p, return_sequences=True)(x)
    assert max_diff(rnn_forward(x, wrong, return_sequences=True), expected) > 100 * TOL


# --------------------------------------------------------------------------- what the recurrence does


def test_forward_is_the_cell_applied_step_by_step():
    p, x = random_case(3, 7, 4, 5, seed=5)
    h = np.zeros((3, 5), dtype=np.float32)
    states = []
    for t in range(7):
        h = np.tanh(x[:, t] @ p.W_xh + h @ p.W_hh + p.b_h)  # the equation, written out
        states.append(h)
        np.testing.assert_allclose(rnn_cell(x[:, t], states[-2] if t else np.zeros_like(h), p), h, atol=1e-7)
    np.testing.assert_allclose(rnn_forward(x, p, return_sequences=True), np.stack(states, axis=1), atol=1e-7)
    np.testing.assert_array_equal(rnn_forward(x, p), rnn_forward(x, p, return_sequences=True)[:, -1])


def test_padding_keeps_the_state():
    p, x = random_case(4, 10, 3, 6, seed=6)
    mask = make_mask("mixed", 4, 10)
    seq = rnn_forward(x, p, mask=mask, return_sequences=True)
    last = rnn_forward(x, p, mask=mask)
    # All-padding row: the state never leaves h0 = 0.
    assert np.all(seq[3] == 0) and np.all(last[3] == 0)
    # Trailing padding: the final state is the state after the last real step ...
    n_real = int(mask[1].sum())
    assert np.array_equal(last[1], seq[1, n_real - 1])
    # ... and equals running on the real steps alone.
    np.testing.assert_allclose(last[1], rnn_forward(x[1:2, :n_real], p)[0], atol=1e-7)
    # Leading padding: same final state as the real steps alone, and the state stays 0 until they start.
    first_real = int(np.flatnonzero(mask[2])[0])
    np.testing.assert_allclose(last[2], rnn_forward(x[2:3, first_real:], p)[0], atol=1e-7)
    assert np.all(seq[2, :first_real] == 0)


def test_state_waits_in_h0_through_leading_padding():
    p, x = random_case(2, 5, 3, 2, seed=7)
    h0 = np.full((2, 2), 0.25, dtype=np.float32)
    mask = padding_mask([5, 2], 5, side="pre")
    seq = rnn_forward(x, p, h0=h0, mask=mask, return_sequences=True)
    # Row 1 starts from h0 at its first real step, exactly as if the padding were not there ...
    np.testing.assert_allclose(seq[1, -1], rnn_forward(x[1:, 3:], p, h0=h0[1:])[0], atol=1e-7)
    # ... while the outputs at the padded steps are zeros (Keras' convention), not h0.
    assert np.all(seq[1, :3] == 0)
    # An all-padding row outputs zeros.
    assert np.all(rnn_forward(x, p, h0=h0, mask=np.zeros((2, 5), dtype=bool)) == 0)


def test_float64_inputs_compute_in_float64():
    p, x = random_case(2, 3, 4, 5)
    assert rnn_forward(x.astype(np.float64), p).dtype == np.float64


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("input_dim, units", [(1, 1), (3, 4), (32, 32), (100, 7)])
def test_parameter_count_matches_formula_and_keras(input_dim, units):
    p = RNNParams.init(input_dim, units)
    assert p.count() == units * (input_dim + units + 1)
    assert keras_rnn(p).count_params() == p.count()


def test_keras_weight_layout():
    p = RNNParams.init(3, 4)
    kernel, recurrent, bias = (w.shape for w in keras_rnn(p).get_weights())
    assert (kernel, recurrent, bias) == (p.W_xh.shape, p.W_hh.shape, p.b_h.shape) == ((3, 4), (4, 4), (4,))


# --------------------------------------------------------------------------- bad input gets a clear error


def test_params_with_inconsistent_shapes_are_refused():
    with pytest.raises(ValueError, match="W_hh has shape"):
        RNNParams(np.zeros((3, 4)), np.zeros((3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="b_h has shape"):
        RNNParams(np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="W_xh must be a matrix"):
        RNNParams(np.zeros(4), np.zeros((4, 4)), np.zeros(4))


@pytest.mark.parametrize(
    "x_shape, kwargs, error, message",
    [
        ((5, 3), {}, ValueError, r"shape \(batch, time, input_dim\)"),
        ((2, 5, 4), {}, ValueError, "4 features per step but the weights expect 3"),
        ((2, 5, 3), {"mask": np.ones((2, 4), bool)}, ValueError, "mask must have shape"),
        ((2, 5, 3), {"h0": np.zeros((1, 6))}, ValueError, "h0 must have shape"),
    ],
)
def test_bad_inputs_raise_clear_errors(x_shape, kwargs, error, message):
    p = RNNParams.init(3, 6)
    with pytest.raises(error, match=message):
        rnn_forward(np.zeros(x_shape, dtype=np.float32), p, **kwargs)


def test_token_ids_instead_of_vectors_are_refused():
    p = RNNParams.init(3, 6)
    with pytest.raises(TypeError, match="embedding"):
        rnn_forward(np.ones((2, 5, 3), dtype=np.int64), p)


def test_from_keras_refuses_unbuilt_biasless_and_lstm_layers():
    with pytest.raises(ValueError, match="build it first"):
        RNNParams.from_keras(keras.layers.SimpleRNN(3))
    no_bias = keras.layers.SimpleRNN(3, use_bias=False)
    no_bias.build((None, None, 2))
    with pytest.raises(ValueError, match="use_bias=True"):
        RNNParams.from_keras(no_bias)
    lstm = keras.layers.LSTM(3)
    lstm.build((None, None, 2))
    with pytest.raises(ValueError, match="LSTMParams.from_keras"):
        RNNParams.from_keras(lstm)


# --------------------------------------------------------------------------- padding_mask


def test_padding_mask_post_and_pre():
    np.testing.assert_array_equal(
        padding_mask([3, 0, 1], 3), [[True, True, True], [False, False, False], [True, False, False]]
    )
    np.testing.assert_array_equal(
        padding_mask([3, 0, 1], 3, side="pre"), [[True, True, True], [False, False, False], [False, False, True]]
    )


@pytest.mark.parametrize(
    "lengths, steps, side, message",
    [([4], 3, "post", "between 0 and steps"), ([-1], 3, "post", "between 0 and steps"),
     ([1.5], 3, "post", "whole numbers"), ([[1]], 3, "post", "1-D"), ([1], 3, "left", "side must be")],
)
def test_padding_mask_bad_arguments(lengths, steps, side, message):
    with pytest.raises(ValueError, match=message):
        padding_mask(lengths, steps, side=side)
