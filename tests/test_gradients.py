"""utils.gradients: gradient norms against the distance to the output, spectral radius, the Jacobian product."""

from __future__ import annotations

import numpy as np
import pytest

from utils import build_recurrent_classifier, keras, tf
from utils.gradients import (
    align_by_distance,
    embedding_gradient_norms_by_distance,
    fit_with_gradient_log,
    gradient_norms_by_distance,
    reduce_by_distance,
    rnn_state_jacobian_norms,
    set_spectral_radius,
    spectral_norm,
    spectral_radius,
)
from utils.scratch import RNNParams


def _linear_rnn(w_xh, w_hh):
    """A SimpleRNN without nonlinearity and without bias: h_t = x_t W_xh + h_{t-1} W_hh."""
    layer = keras.layers.SimpleRNN(w_hh.shape[0], activation=None, use_bias=False)
    layer.build((None, None, w_xh.shape[0]))
    layer.set_weights([w_xh, w_hh])
    return layer


def _analytic_linear_norms(w_xh, w_hh, readout, steps):
    """‖∂(h_T·u)/∂x_t‖ = ‖W_xh W_hh^k u‖ at distance k = T-1-t (row-vector convention)."""
    out, v = [], readout.astype(np.float64)
    for _ in range(steps):
        out.append(np.linalg.norm(w_xh.astype(np.float64) @ v))
        v = w_hh.astype(np.float64) @ v
    return np.array(out)


# --------------------------------------------------------------------------- spectral radius


def test_set_spectral_radius_on_a_layer_sets_rho_and_sigma_for_the_orthogonal_init():
    layer = keras.layers.SimpleRNN(16)
    layer(np.zeros((1, 3, 4), "float32"))
    for radius in (0.5, 1.0, 1.5):
        new = set_spectral_radius(layer, radius)
        w = layer.cell.recurrent_kernel.numpy()
        np.testing.assert_allclose(w, new)
        assert spectral_radius(w) == pytest.approx(radius, rel=1e-5)
        assert spectral_norm(w) == pytest.approx(radius, rel=1e-4)  # orthogonal init: σ_max = ρ


def test_set_spectral_radius_on_a_matrix_returns_a_copy_with_the_same_eigenvectors():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 6)).astype("float32")
    before = w.copy()
    new = set_spectral_radius(w, 0.9)
    np.testing.assert_array_equal(w, before)
    assert spectral_radius(new) == pytest.approx(0.9, rel=1e-5)
    np.testing.assert_allclose(new / w, np.full_like(w, 0.9 / spectral_radius(w)), rtol=1e-5)
    assert spectral_norm(new) >= spectral_radius(new)  # σ_max ≥ ρ for any matrix


def test_set_spectral_radius_finds_the_layer_in_a_model():
    model = build_recurrent_classifier(10, cell="simple_rnn", units=8, embed_dim=4)
    set_spectral_radius(model, 1.25)
    assert spectral_radius(model.get_layer("simple_rnn").cell.recurrent_kernel.numpy()) == pytest.approx(1.25, rel=1e-5)


def test_set_spectral_radius_rejects_bad_input():
    with pytest.raises(ValueError, match="call the layer"):
        set_spectral_radius(keras.layers.SimpleRNN(4), 1.0)
    with pytest.raises(ValueError, match="positive"):
        set_spectral_radius(np.eye(3), 0.0)
    with pytest.raises(ValueError, match="square"):
        set_spectral_radius(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="nilpotent"):
        set_spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0)
    with pytest.raises(ValueError, match="SimpleRNN layers"):
        set_spectral_radius(build_recurrent_classifier(10, cell="lstm", units=4, embed_dim=4), 1.0)


# --------------------------------------------------------------------------- gradient norms, float inputs


def test_linear_rnn_gradient_norms_match_the_analytic_value():
    rng = np.random.default_rng(1)
    w_xh = rng.normal(scale=0.5, size=(3, 5)).astype("float32")
    w_hh = set_spectral_radius(rng.normal(size=(5, 5)).astype("float32"), 0.8)
    layer = _linear_rnn(w_xh, w_hh)
    x = rng.normal(size=(4, 12, 3)).astype("float32")
    got = gradient_norms_by_distance(layer, x)
    expected = _analytic_linear_norms(w_xh, w_hh, np.ones(5), 12)  # objective: sum of outputs = h_T · 1
    assert got.shape == (12,)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    assert got[0] != pytest.approx(got[-1])  # distance 0 is the last step, and the norms do change


def test_gradient_is_per_example_not_divided_by_the_batch():
    rng = np.random.default_rng(2)
    w_xh = rng.normal(size=(2, 4)).astype("float32")
    w_hh = 0.5 * np.eye(4, dtype="float32")
    layer = _linear_rnn(w_xh, w_hh)
    one = gradient_norms_by_distance(layer, rng.normal(size=(1, 6, 2)))
    many = gradient_norms_by_distance(layer, rng.normal(size=(32, 6, 2)))
    np.testing.assert_allclose(one, many, rtol=1e-5)


def test_mask_aligns_every_example_on_its_last_real_step():
    rng = np.random.default_rng(3)
    w_xh = rng.normal(size=(2, 4)).astype("float32")
    w_hh = set_spectral_radius(rng.normal(size=(4, 4)).astype("float32"), 0.7)
    layer = _linear_rnn(w_xh, w_hh)
    x = rng.normal(size=(3, 8, 2)).astype("float32")
    lengths = np.array([8, 5, 3])
    mask = np.arange(8)[None, :] < lengths[:, None]
    aligned = gradient_norms_by_distance(layer, x, mask=mask, reduce=None)
    expected = _analytic_linear_norms(w_xh, w_hh, np.ones(4), 8)
    assert aligned.shape == (3, 8)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(aligned[i, :n], expected[:n], rtol=1e-4)
        assert np.isnan(aligned[i, n:]).all()
    mean = gradient_norms_by_distance(layer, x, mask=mask)
    np.testing.assert_allclose(mean, expected, rtol=1e-4)  # the same at every distance, whoever is present


def test_loss_objective_uses_targets():
    rng = np.random.default_rng(4)
    model = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.SimpleRNN(4), keras.layers.Dense(1, activation="sigmoid")]
    )
    x = rng.normal(size=(5, 7, 3)).astype("float32")
    y = np.array([1, 0, 1, 1, 0], "float32")
    with_loss = gradient_norms_by_distance(model, x, y, reduce=None)
    # ∂BCE/∂x = (p − y) ∂logit/∂x and ∂p/∂x = p(1 − p) ∂logit/∂x: the ratio of the two norms is |p − y| / p(1 − p).
    output_only = gradient_norms_by_distance(model, x, reduce=None)
    p = model(x).numpy()[:, 0].astype(np.float64)
    ratio = np.abs(p - y) / (p * (1 - p))
    np.testing.assert_allclose(with_loss, output_only * ratio[:, None], rtol=1e-3)


def test_reductions_and_bad_input():
    aligned = np.array([[1.0, 100.0], [4.0, np.nan], [16.0, 1.0]])
    np.testing.assert_allclose(reduce_by_distance(aligned, "mean"), [7.0, 50.5])
    np.testing.assert_allclose(reduce_by_distance(aligned, "geometric"), [4.0, 10.0])
    np.testing.assert_allclose(reduce_by_distance(aligned, "median"), [4.0, 50.5])
    with pytest.raises(ValueError, match="reduce"):
        reduce_by_distance(aligned, "max")
    with pytest.raises(ValueError, match="batch, time, features"):
        gradient_norms_by_distance(keras.layers.SimpleRNN(2), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="mask"):
        gradient_norms_by_distance(keras.layers.SimpleRNN(2), np.zeros((3, 4, 1)), mask=np.ones((3, 5), bool))
    np.testing.assert_array_equal(
        align_by_distance(np.array([[1.0, 2.0, 3.0]]), np.array([[False, True, True]])), [[3.0, 2.0]]
    )


# --------------------------------------------------------------------------- gradient norms, embedded tokens


def test_embedding_gradients_of_a_linear_classifier_match_the_analytic_value():
    rng = np.random.default_rng(5)
    vocab, embed, units = 12, 3, 4
    model = build_recurrent_classifier(vocab, cell="simple_rnn", units=units, embed_dim=embed,
                                       activation=None, use_bias=False)
    w_xh = rng.normal(scale=0.5, size=(embed, units)).astype("float32")
    w_hh = set_spectral_radius(rng.normal(size=(units, units)).astype("float32"), 0.9)
    model.get_layer("simple_rnn").set_weights([w_xh, w_hh])
    w_out = model.get_layer("readout").get_weights()[0][:, 0]
    ids = rng.integers(1, vocab, size=(3, 9))
    ids[1, 6:] = 0  # post-padding: 6 real tokens
    ids[2, :4] = 0  # pre-padding: 5 real tokens
    y = np.array([1.0, 0.0, 1.0], "float32")
    aligned = embedding_gradient_norms_by_distance(model, ids, y, reduce=None)
    p = model(ids).numpy()[:, 0].astype(np.float64)
    base = _analytic_linear_norms(w_xh, w_hh, w_out, 9)  # ‖W_xh W_hh^k w‖
    for i, n in enumerate([9, 6, 5]):
        np.testing.assert_allclose(aligned[i, :n], np.abs(p[i] - y[i]) * base[:n], rtol=1e-3)
        assert np.isnan(aligned[i, n:]).all()


def test_embedding_gradients_reject_non_chain_models_and_all_padding():
    ids = keras.Input((None,), dtype="int64")
    e = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    a = keras.layers.SimpleRNN(3)(e)
    b = keras.layers.GlobalAveragePooling1D()(e)  # a branch that skips the recurrent layer
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([a, b]))
    model = keras.Model(ids, out)
    with pytest.raises(ValueError, match="chain"):
        embedding_gradient_norms_by_distance(model, np.ones((2, 5), "int64"))
    chain = build_recurrent_classifier(10, units=3, embed_dim=4)
    with pytest.raises(ValueError, match="all padding"):
        embedding_gradient_norms_by_distance(chain, np.zeros((2, 5), "int64"))
    with pytest.raises(ValueError, match="integer"):
        embedding_gradient_norms_by_distance(chain, np.ones((2, 5), "float32"))


# --------------------------------------------------------------------------- the Jacobian product by hand


def test_state_jacobian_norms_match_tensorflow_and_obey_the_bound():
    rng = np.random.default_rng(6)
    units, steps = 5, 7
    params = RNNParams.init(3, units, rng=rng, scale=0.6)
    params.W_hh = set_spectral_radius(params.W_hh, 1.3)
    x = rng.normal(size=(2, steps, 3)).astype("float32")
    ours = rnn_state_jacobian_norms(x, params, reduce=None)

    layer = keras.layers.SimpleRNN(units, return_sequences=True)
    layer.build((None, None, 3))
    layer.set_weights(params.keras_weights())
    x64 = tf.constant(x, tf.float64)
    w_xh, w_hh, b = (tf.constant(w, tf.float64) for w in params.keras_weights())
    hs = [tf.zeros((2, units), tf.float64)]
    for t in range(steps):  # h_1 ... h_T, float64, to compare with the NumPy product
        hs.append(tf.tanh(x64[:, t] @ w_xh + hs[-1] @ w_hh + b))
    for k in range(steps):  # ∂h_T/∂h_{T-k} by automatic differentiation
        t = steps - k
        h_t = tf.Variable(hs[t])
        with tf.GradientTape() as tape:
            h = h_t
            for j in range(t, steps):
                h = tf.tanh(x64[:, j] @ w_xh + h @ w_hh + b)
        jac = tape.batch_jacobian(h, h_t).numpy()  # (batch, units_T, units_t)
        np.testing.assert_allclose(ours[:, k], np.linalg.norm(jac, ord=2, axis=(1, 2)), rtol=1e-8)
    sigma = spectral_norm(params.W_hh)
    assert np.all(ours <= sigma ** np.arange(steps)[None, :] * (1 + 1e-9))  # ‖∂h_T/∂h_t‖ ≤ σ_max^(T−t)
    np.testing.assert_allclose(ours[:, 0], 1.0)


# --------------------------------------------------------------------------- training log


def test_fit_with_gradient_log_records_every_step_before_clipping():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 5, 2)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("float32")
    model = keras.Sequential(
        [keras.Input((None, 2)), keras.layers.SimpleRNN(4), keras.layers.Dense(1, activation="sigmoid")]
    )
    log = fit_with_gradient_log(model, x, y, optimizer=keras.optimizers.SGD(0.0, global_clipnorm=1e-6),
                                epochs=2, batch_size=16)
    assert log["loss"].shape == log["grad_norm"].shape == (8,)
    assert np.all(log["grad_norm"] > 1e-3)  # recorded before clipping (clipped norm would be 1e-6)
    log = fit_with_gradient_log(model, x, y, optimizer=keras.optimizers.Adam(0.05), epochs=30, batch_size=16)
    assert log["loss"][-4:].mean() < 0.5 * log["loss"][:4].mean()
    with pytest.raises(ValueError, match="full batch"):
        fit_with_gradient_log(model, x[:4], y[:4], optimizer=keras.optimizers.SGD(0.1), batch_size=16)


def test_cell_path_decay_averages_per_unit_products_and_skips_padding():
    from utils import cell_path_decay

    # two units with constant gates 0.9 and 0.5: the mean of the products, not the product of the mean
    forget = np.broadcast_to(np.array([0.9, 0.5]), (1, 4, 2))
    np.testing.assert_allclose(cell_path_decay(forget), [(0.9**k + 0.5**k) / 2 for k in range(4)])
    # a padded sequence: only its real steps count, and k runs over them
    padded = np.concatenate([np.full((1, 2, 2), 0.8), np.full((1, 2, 2), 0.01)], axis=1)
    both = np.concatenate([np.full((1, 4, 2), 0.8), padded])
    decay = cell_path_decay(both, lengths=[4, 2])
    np.testing.assert_allclose(decay[:2], [1.0, 0.8])                     # geometric mean of equal values
    np.testing.assert_allclose(decay[2:], [0.8**2, 0.8**3])               # only the long sequence reaches k = 2, 3
