"""The NumPy LSTM of ``utils.scratch`` against ``keras.layers.LSTM`` (chapter 4's guarantee).

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
from utils.scratch import GATES, LSTMParams, lstm_cell, lstm_forward

SHAPES = [  # (batch, time, input_dim, units)
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (3, 12, 7, 16),
    (5, 30, 16, 8),
]


def keras_lstm(p: LSTMParams, **kwargs) -> keras.layers.LSTM:
    return keras_twin(p, **kwargs)


def random_case(batch, time, input_dim, units, seed=0):
    return _random_case(LSTMParams, batch, time, input_dim, units, seed)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}-t{}-d{}-u{}".format(*s))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
def test_matches_keras(shape, return_sequences, masked):
    p, x = random_case(*shape)
    mask = mixed_padding_mask(*shape[:2]) if masked else None
    layer = keras_lstm(p, return_sequences=return_sequences)
    expected = layer(x, mask=mask)
    got = lstm_forward(x, p, mask=mask, return_sequences=return_sequences)
    assert got.shape == tuple(expected.shape)
    assert max_diff(got, expected) <= TOL


def test_mask_semantics_match_keras_and_padding_keeps_state():
    p, x = random_case(5, 9, 4, 6, seed=3)
    mask = mixed_padding_mask(5, 9)
    seq, h, c = lstm_forward(x, p, mask=mask, return_sequences=True, return_state=True)
    k_seq, k_h, k_c = keras_lstm(p, return_sequences=True, return_state=True)(x, mask=mask)
    assert max_diff(seq, k_seq) <= TOL and max_diff(h, k_h) <= TOL and max_diff(c, k_c) <= TOL
    # All-padding row: the state never leaves its initial value (zeros).
    assert np.all(seq[3] == 0) and np.all(h[3] == 0) and np.all(c[3] == 0)
    # Trailing padding: the final state is the state at the last real step.
    last_real = np.flatnonzero(mask[1])[-1]
    assert np.array_equal(h[1], seq[1, last_real])
    # Leading padding gives the same final state as the real steps alone.
    real = mask[2]
    alone = lstm_forward(x[2:3, real], p)
    assert max_diff(h[2:3], alone) <= TOL


def test_return_state_with_initial_state_matches_keras():
    p, x = random_case(3, 6, 5, 4, seed=7)
    rng = np.random.default_rng(8)
    h0 = rng.normal(size=(3, 4)).astype(np.float32)
    c0 = rng.normal(size=(3, 4)).astype(np.float32)
    out, h, c = lstm_forward(x, p, h0=h0, c0=c0, return_state=True)
    k_out, k_h, k_c = keras_lstm(p, return_state=True)(x, initial_state=[h0, c0])
    assert np.array_equal(out, h)
    for mine, theirs in ((out, k_out), (h, k_h), (c, k_c)):
        assert max_diff(mine, theirs) <= TOL


def test_initial_state_with_leading_padding_matches_keras():
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
    p, x = random_case(3, 11, 5, 7, seed=11)
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


def test_one_step_matches_the_equations():
    p, x = random_case(4, 1, 3, 2, seed=2)
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
    p, x = random_case(1, 1, 3, 4, seed=4)
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


def test_from_keras_and_keras_weights_round_trip():
    p, _ = random_case(1, 1, 6, 3, seed=9)
    layer = keras_lstm(p)
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


@pytest.mark.parametrize("input_dim,units", [(1, 1), (3, 4), (32, 64), (100, 7)])
def test_parameter_count_formula(input_dim, units):
    layer = keras.layers.LSTM(units)
    layer.build((None, None, input_dim))
    p = LSTMParams.from_keras(layer)
    assert p.count() == 4 * units * (input_dim + units + 1) == layer.count_params()


def test_bad_shapes_give_clear_errors():
    p, x = random_case(2, 3, 4, 5)
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


def test_token_ids_are_refused_with_a_hint():
    p = LSTMParams.init(3, 2)
    with pytest.raises(TypeError, match="embedding"):
        lstm_forward(np.ones((1, 4, 3), dtype=np.int64), p)
