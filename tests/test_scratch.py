"""The NumPy layers of ``utils.scratch`` against their Keras twins: the tanh RNN against
``keras.layers.SimpleRNN`` (chapter 2's guarantee) and the LSTM against ``keras.layers.LSTM`` (chapter 4's).

Every comparison builds a Keras layer, copies the same weights into it and
requires the outputs to agree to 1e-5 (float32 round-off is ~1e-7 here).
The cases are built by ``_helpers.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import TOL, keras_twin, max_abs_diff, mixed_padding_mask, random_case

from utils._tf import keras
from utils.scratch import GATES, LSTMParams, RNNParams, lstm_cell, lstm_forward, padding_mask, rnn_cell, rnn_forward

RNN_SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (4, 12, 7, 16),
    (6, 40, 16, 8),
]
LSTM_SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (3, 12, 7, 16),
    (5, 30, 16, 8),
]


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


# --------------------------------------------------------------------------- the RNN: equality with Keras


@pytest.mark.parametrize("shape", RNN_SHAPES, ids=lambda s: "b{}-t{}-d{}-u{}".format(*s))
@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("mask_kind", ["none", "post", "pre", "mixed"])
def test_rnn_matches_keras(shape, return_sequences, mask_kind):
    p, x = random_case(RNNParams, *shape)
    mask = make_mask(mask_kind, *shape[:2])
    expected = keras_twin(p, return_sequences=return_sequences)(x, mask=mask)
    got = rnn_forward(x, p, mask=mask, return_sequences=return_sequences)
    assert got.shape == tuple(expected.shape)
    assert max_abs_diff(got, expected) <= TOL


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
def test_rnn_matches_keras_with_initial_state(return_sequences):
    p, x = random_case(RNNParams, 5, 6, 5, 4, seed=1)
    h0 = np.random.default_rng(2).uniform(-1, 1, size=(5, 4)).astype(np.float32)
    mask = make_mask("mixed", 5, 6)  # includes leading padding and an all-padding row
    expected = keras_twin(p, return_sequences=return_sequences)(x, initial_state=h0, mask=mask)
    got = rnn_forward(x, p, h0=h0, mask=mask, return_sequences=return_sequences)
    assert max_abs_diff(got, expected) <= TOL


def test_the_rnn_comparison_can_fail():
    """The tolerance is tight enough to catch the classic mistake: using W_hh instead of its transpose."""
    p, x = random_case(RNNParams, 4, 12, 7, 16, seed=4)
    wrong = RNNParams(p.W_xh, p.W_hh.T.copy(), p.b_h)
    expected = keras_twin(p, return_sequences=True)(x)
    assert max_abs_diff(rnn_forward(x, wrong, return_sequences=True), expected) > 100 * TOL


# --------------------------------------------------------------------------- the RNN: what the recurrence does


def test_rnn_forward_is_the_cell_applied_step_by_step():
    p, x = random_case(RNNParams, 3, 7, 4, 5, seed=5)
    h = np.zeros((3, 5), dtype=np.float32)
    states = []
    for t in range(7):
        h = np.tanh(x[:, t] @ p.W_xh + h @ p.W_hh + p.b_h)  # the equation, written out
        states.append(h)
        np.testing.assert_allclose(rnn_cell(x[:, t], states[-2] if t else np.zeros_like(h), p), h, atol=1e-7)
    np.testing.assert_allclose(rnn_forward(x, p, return_sequences=True), np.stack(states, axis=1), atol=1e-7)
    np.testing.assert_array_equal(rnn_forward(x, p), rnn_forward(x, p, return_sequences=True)[:, -1])


def test_rnn_padding_keeps_the_state():
    p, x = random_case(RNNParams, 4, 10, 3, 6, seed=6)
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


def test_rnn_state_waits_in_h0_through_leading_padding():
    p, x = random_case(RNNParams, 2, 5, 3, 2, seed=7)
    h0 = np.full((2, 2), 0.25, dtype=np.float32)
    mask = padding_mask([5, 2], 5, side="pre")
    seq = rnn_forward(x, p, h0=h0, mask=mask, return_sequences=True)
    # Row 1 starts from h0 at its first real step, exactly as if the padding were not there ...
    np.testing.assert_allclose(seq[1, -1], rnn_forward(x[1:, 3:], p, h0=h0[1:])[0], atol=1e-7)
    # ... while the outputs at the padded steps are zeros (Keras' convention), not h0.
    assert np.all(seq[1, :3] == 0)
    # An all-padding row outputs zeros.
    assert np.all(rnn_forward(x, p, h0=h0, mask=np.zeros((2, 5), dtype=bool)) == 0)


def test_rnn_float64_inputs_compute_in_float64():
    p, x = random_case(RNNParams, 2, 3, 4, 5)
    assert rnn_forward(x.astype(np.float64), p).dtype == np.float64


# --------------------------------------------------------------------------- the RNN: parameters


def test_rnn_keras_weight_layout():
    p = RNNParams.init(3, 4)
    kernel, recurrent, bias = (w.shape for w in keras_twin(p).get_weights())
    assert (kernel, recurrent, bias) == (p.W_xh.shape, p.W_hh.shape, p.b_h.shape) == ((3, 4), (4, 4), (4,))


# --------------------------------------------------------------------------- the RNN: bad input gets a clear error


def test_rnn_params_with_inconsistent_shapes_are_refused():
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
def test_rnn_bad_inputs_raise_clear_errors(x_shape, kwargs, error, message):
    p = RNNParams.init(3, 6)
    with pytest.raises(error, match=message):
        rnn_forward(np.zeros(x_shape, dtype=np.float32), p, **kwargs)


def test_rnn_token_ids_instead_of_vectors_are_refused():
    p = RNNParams.init(3, 6)
    with pytest.raises(TypeError, match="embedding"):
        rnn_forward(np.ones((2, 5, 3), dtype=np.int64), p)


def test_rnn_from_keras_refuses_unbuilt_biasless_and_lstm_layers():
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


# --------------------------------------------------------------------------- the LSTM


@pytest.mark.parametrize("shape", LSTM_SHAPES, ids=lambda s: "b{}-t{}-d{}-u{}".format(*s))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
def test_lstm_matches_keras(shape, return_sequences, masked):
    p, x = random_case(LSTMParams, *shape)
    mask = mixed_padding_mask(*shape[:2]) if masked else None
    layer = keras_twin(p, return_sequences=return_sequences)
    expected = layer(x, mask=mask)
    got = lstm_forward(x, p, mask=mask, return_sequences=return_sequences)
    assert got.shape == tuple(expected.shape)
    assert max_abs_diff(got, expected) <= TOL


def test_lstm_mask_semantics_match_keras_and_padding_keeps_state():
    p, x = random_case(LSTMParams, 5, 9, 4, 6, seed=3)
    mask = mixed_padding_mask(5, 9)
    seq, h, c = lstm_forward(x, p, mask=mask, return_sequences=True, return_state=True)
    k_seq, k_h, k_c = keras_twin(p, return_sequences=True, return_state=True)(x, mask=mask)
    assert max_abs_diff(seq, k_seq) <= TOL and max_abs_diff(h, k_h) <= TOL and max_abs_diff(c, k_c) <= TOL
    # All-padding row: the state never leaves its initial value (zeros).
    assert np.all(seq[3] == 0) and np.all(h[3] == 0) and np.all(c[3] == 0)
    # Trailing padding: the final state is the state at the last real step.
    last_real = np.flatnonzero(mask[1])[-1]
    assert np.array_equal(h[1], seq[1, last_real])
    # Leading padding gives the same final state as the real steps alone.
    real = mask[2]
    alone = lstm_forward(x[2:3, real], p)
    assert max_abs_diff(h[2:3], alone) <= TOL


def test_lstm_return_state_with_initial_state_matches_keras():
    p, x = random_case(LSTMParams, 3, 6, 5, 4, seed=7)
    rng = np.random.default_rng(8)
    h0 = rng.normal(size=(3, 4)).astype(np.float32)
    c0 = rng.normal(size=(3, 4)).astype(np.float32)
    out, h, c = lstm_forward(x, p, h0=h0, c0=c0, return_state=True)
    k_out, k_h, k_c = keras_twin(p, return_state=True)(x, initial_state=[h0, c0])
    assert np.array_equal(out, h)
    for mine, theirs in ((out, k_out), (h, k_h), (c, k_c)):
        assert max_abs_diff(mine, theirs) <= TOL


def test_lstm_initial_state_with_leading_padding_matches_keras():
    # Keras' "previous output" before the first real step is zeros even with a non-zero h0,
    # while the *state* carried through the padding is h0/c0.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = np.ones((3, 6), bool)
    mask[0, :3] = False  # padding first
    mask[1, :] = False  # all padding
    p = LSTMParams.init(4, 5, rng)
    h0, c0 = (rng.normal(size=(3, 5)).astype("float32") for _ in range(2))
    layer = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    layer(x, initial_state=[h0, c0])
    layer.set_weights(p.keras_weights())
    expected = [t.numpy() for t in layer(x, mask=mask, initial_state=[h0, c0])]
    got = lstm_forward(x, p, mask=mask, h0=h0, c0=c0, return_sequences=True, return_state=True)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, atol=1e-5)
    assert np.all(got[0][1] == 0) and np.allclose(got[1][1], h0[1])


def test_gate_trace_is_consistent_with_cell_and_hidden_state():
    p, x = random_case(LSTMParams, 3, 11, 5, 7, seed=11)
    seq, h, c, trace = lstm_forward(x, p, return_sequences=True, return_state=True, return_gates=True)
    assert set(trace) == {*GATES, "c"}
    for k in trace:
        assert trace[k].shape == (3, 11, 7)
    for k in ("i", "f", "o"):
        assert np.all((trace[k] > 0) & (trace[k] < 1)), f"gate {k} must be a sigmoid"
    assert np.all(np.abs(trace["g"]) < 1)
    c_prev = np.concatenate([np.zeros((3, 1, 7), np.float32), trace["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(trace["c"], trace["f"] * c_prev + trace["i"] * trace["g"], atol=1e-6)
    np.testing.assert_allclose(seq, trace["o"] * np.tanh(trace["c"]), atol=1e-6)
    assert np.array_equal(trace["c"][:, -1], c) and np.array_equal(seq[:, -1], h)


def test_lstm_one_step_matches_the_equations():
    p, x = random_case(LSTMParams, 4, 1, 3, 2, seed=2)
    rng = np.random.default_rng(3)
    h_prev = rng.normal(size=(4, 2)).astype(np.float32)
    c_prev = rng.normal(size=(4, 2)).astype(np.float32)
    h, c, gates = lstm_cell(x[:, 0], h_prev, c_prev, p)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    pre = {g: x[:, 0] @ getattr(p, f"W_x{g}") + h_prev @ getattr(p, f"W_h{g}") + getattr(p, f"b_{g}") for g in GATES}
    i, f, g, o = sig(pre["i"]), sig(pre["f"]), np.tanh(pre["g"]), sig(pre["o"])
    np.testing.assert_allclose(c, f * c_prev + i * g, atol=1e-6)
    np.testing.assert_allclose(h, o * np.tanh(f * c_prev + i * g), atol=1e-6)
    for name, value in zip("ifgo", (i, f, g, o)):
        np.testing.assert_allclose(gates[name], value, atol=1e-6)


def test_cell_jacobian_is_diag_forget_gate():
    """With h_{t-1} fixed, dc_t/dc_{t-1} = diag(f_t): the additive path of the cell."""
    p, x = random_case(LSTMParams, 1, 1, 3, 4, seed=4)
    rng = np.random.default_rng(5)
    h_prev = rng.normal(size=(1, 4))
    c_prev = rng.normal(size=(1, 4))
    _, _, gates = lstm_cell(x[:, 0].astype(np.float64), h_prev, c_prev, p)
    eps = 1e-6
    jac = np.empty((4, 4))
    for j in range(4):
        step = np.zeros((1, 4))
        step[0, j] = eps
        up = lstm_cell(x[:, 0].astype(np.float64), h_prev, c_prev + step, p)[1]
        down = lstm_cell(x[:, 0].astype(np.float64), h_prev, c_prev - step, p)[1]
        jac[:, j] = ((up - down) / (2 * eps))[0]
    np.testing.assert_allclose(jac, np.diag(gates["f"][0]), atol=1e-6)


def test_lstm_from_keras_and_keras_weights_round_trip():
    p, _ = random_case(LSTMParams, 1, 1, 6, 3, seed=9)
    layer = keras_twin(p)
    q = LSTMParams.from_keras(layer)
    for name in p.__dataclass_fields__:
        assert np.array_equal(getattr(p, name), getattr(q, name)), name
    for mine, theirs in zip(q.keras_weights(), layer.get_weights()):
        assert np.array_equal(mine, theirs)
    # The split follows Keras' i, f, c, o column blocks.
    kernel = layer.get_weights()[0]
    assert np.array_equal(q.W_xf, kernel[:, 3:6]) and np.array_equal(q.W_xg, kernel[:, 6:9])


def test_unit_forget_bias_lands_in_the_forget_block():
    layer = keras.layers.LSTM(5)
    layer.build((None, None, 2))
    p = LSTMParams.from_keras(layer)
    assert np.all(p.b_f == 1) and np.all(p.b_i == 0) and np.all(p.b_g == 0) and np.all(p.b_o == 0)


def test_lstm_bad_shapes_give_clear_errors():
    p, x = random_case(LSTMParams, 2, 3, 4, 5)
    with pytest.raises(ValueError, match="input_dim"):
        lstm_forward(x[0], p)  # 2-D
    with pytest.raises(ValueError, match="features per step"):
        lstm_forward(x[..., :3], p)
    with pytest.raises(ValueError, match="mask must have shape"):
        lstm_forward(x, p, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="h0 must have shape"):
        lstm_forward(x, p, h0=np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="c0 must have shape"):
        lstm_forward(x, p, c0=np.zeros((3, 5), np.float32))
    weights = {name: getattr(p, name) for name in p.__dataclass_fields__}
    with pytest.raises(ValueError, match="W_hf has shape"):
        LSTMParams(**(weights | {"W_hf": np.zeros((5, 4), np.float32)}))
    with pytest.raises(ValueError, match="b_o has shape"):
        LSTMParams(**(weights | {"b_o": np.zeros(4, np.float32)}))
    with pytest.raises(ValueError, match="build it first"):
        LSTMParams.from_keras(keras.layers.LSTM(3))
    no_bias = keras.layers.LSTM(3, use_bias=False)
    no_bias.build((None, None, 2))
    with pytest.raises(ValueError, match="use_bias=True"):
        LSTMParams.from_keras(no_bias)


def test_lstm_token_ids_are_refused_with_a_hint():
    p = LSTMParams.init(3, 2)
    with pytest.raises(TypeError, match="embedding"):
        lstm_forward(np.ones((1, 4, 3), dtype=np.int64), p)


# --------------------------------------------------------------------------- both layers: weights read from Keras

LAYERS = [(RNNParams, "SimpleRNN", rnn_forward, 1), (LSTMParams, "LSTM", lstm_forward, 4)]  # 4 gate blocks


@pytest.mark.parametrize("params_class, layer_name, forward, blocks", LAYERS, ids=["rnn", "lstm"])
def test_weights_read_from_a_keras_layer_give_the_same_function(params_class, layer_name, forward, blocks):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 9, 6)).astype(np.float32)
    layer = getattr(keras.layers, layer_name)(5, return_sequences=True)
    expected = layer(x)  # builds the layer with Keras' own random initialisation
    p = params_class.from_keras(layer)
    assert (p.input_dim, p.units) == (6, 5)
    assert max_abs_diff(forward(x, p, return_sequences=True), expected) <= TOL


@pytest.mark.parametrize("params_class, layer_name, forward, blocks", LAYERS, ids=["rnn", "lstm"])
@pytest.mark.parametrize("input_dim, units", [(1, 1), (3, 4), (32, 64), (100, 7)])
def test_parameter_count_matches_formula_and_keras(params_class, layer_name, forward, blocks, input_dim, units):
    layer = getattr(keras.layers, layer_name)(units)
    layer.build((None, None, input_dim))
    expected = blocks * units * (input_dim + units + 1)  # per block: W_x, W_h and b
    assert params_class.from_keras(layer).count() == params_class.init(input_dim, units).count() == expected
    assert layer.count_params() == expected
