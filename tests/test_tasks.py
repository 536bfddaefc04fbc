"""utils.tasks: the long-lag task generator and its small model helpers."""

from __future__ import annotations

import numpy as np
import pytest

from utils import keras
from utils.tasks import (
    MARKER,
    VALUE,
    build_lag_model,
    lag_sequences,
    lag_sweep,
    make_lag_task,
    recurrent_param_count,
    train_lag_model,
    units_for_params,
)


def _marked_value(x):
    """The value at the marked step of every sequence (and check there is exactly one marker)."""
    markers = x[..., MARKER]
    assert np.all(markers.sum(axis=1) == 1), "every sequence must have exactly one marked step"
    return x[np.arange(len(x)), markers.argmax(axis=1), VALUE]


def test_shapes_values_balance_and_lags():
    task = make_lag_task(12, n_train=260, n_val=50, n_test=80, seed=3)
    for name, n in (("train", 260), ("validation", 50), ("test", 80)):
        x, y, lags = task.split(name)
        assert x.shape == (n, 13, 2) and x.dtype == np.float32
        assert y.shape == (n,) and set(np.unique(y)) == {0.0, 1.0}
        assert y.sum() == n // 2  # balanced exactly
        assert set(np.unique(x[..., VALUE])) == {-1.0, 1.0}
        position = x[..., MARKER].argmax(axis=1)
        np.testing.assert_array_equal(lags, 12 - position)  # lag = steps after the marked one
    np.testing.assert_array_equal(np.bincount(task.lag_train), np.full(13, 20))  # every lag equally often
    assert np.all(task.lag_val == 12) and np.all(task.lag_test == 12)  # evaluation at the longest lag only
    assert task.length == 13


@pytest.mark.parametrize("kind", ["marked", "first"])
def test_label_is_the_marked_value_and_nothing_else(kind):
    task = make_lag_task(30, kind=kind, n_train=4000, n_val=10, n_test=10, seed=0)
    x, y = task.x_train, task.y_train
    np.testing.assert_array_equal(y, (_marked_value(x) > 0).astype(np.float32))
    # The unmarked values carry no information: their mean is the same in both classes.
    unmarked = np.where(x[..., MARKER] == 1, np.nan, x[..., VALUE])
    per_sequence = np.nanmean(unmarked, axis=1)
    assert abs(per_sequence[y == 1].mean() - per_sequence[y == 0].mean()) < 0.02
    if kind == "first":  # the classic task: the label depends only on the first step
        assert np.all(x[:, 0, MARKER] == 1)
        np.testing.assert_array_equal(y, (x[:, 0, VALUE] > 0).astype(np.float32))
        assert np.all(task.lag_train == 30)


def test_determinism_from_the_seed_and_independent_splits():
    a = make_lag_task(20, n_train=200, n_val=100, n_test=100, seed=7)
    b = make_lag_task(20, n_train=200, n_val=100, n_test=100, seed=7)
    c = make_lag_task(20, n_train=200, n_val=100, n_test=100, seed=8)
    for name in ("train", "validation", "test"):
        for u, v in zip(a.split(name), b.split(name)):
            np.testing.assert_array_equal(u, v)
        assert not np.array_equal(a.split(name)[0], c.split(name)[0])
    assert not np.array_equal(a.x_val, a.x_test)  # validation and test are different draws
    bigger = make_lag_task(20, n_train=400, n_val=100, n_test=100, seed=7)
    np.testing.assert_array_equal(bigger.x_test, a.x_test)  # the test set does not depend on n_train


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="max_lag"):
        make_lag_task(-1)
    with pytest.raises(ValueError, match="kind"):
        make_lag_task(5, kind="adding")
    with pytest.raises(ValueError, match="n_train"):
        make_lag_task(5, n_train=0)
    with pytest.raises(ValueError, match="lag must be in"):
        lag_sequences([3], 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="split"):
        make_lag_task(3, n_train=4, n_val=2, n_test=2).split("dev")
    with pytest.raises(ValueError, match="cell"):
        recurrent_param_count("transformer", 4)
    with pytest.raises(AttributeError, match="build_lag_model"):
        make_lag_task(3, n_train=4, n_val=2, n_test=2).vocab_size  # noqa: B018 (floats, not token ids)


@pytest.mark.parametrize("cell,layer", [("simple_rnn", keras.layers.SimpleRNN), ("lstm", keras.layers.LSTM),
                                        ("gru", keras.layers.GRU)])
def test_param_count_matches_keras(cell, layer):
    built = layer(7)
    built.build((None, None, 3))
    assert recurrent_param_count(cell, 7, 3) == built.count_params()


def test_units_for_params_picks_the_closest_size():
    target = recurrent_param_count("lstm", 16)  # 4·16·(2+16+1) = 1216
    units = units_for_params("simple_rnn", target)
    assert units == 33  # 33·36 = 1188 is closer to 1216 than 34·37 = 1258
    assert units_for_params("lstm", target) == 16


def test_build_lag_model_shapes_and_kwargs():
    model = build_lag_model("lstm", units=4, unit_forget_bias=False)
    out = model(np.zeros((3, 5, 2), "float32"))
    assert out.shape == (3, 1)
    assert model.get_layer("lstm").cell.unit_forget_bias is False
    assert model.get_layer("lstm").count_params() == recurrent_param_count("lstm", 4)
    with pytest.raises(ValueError, match="cell"):
        build_lag_model("rnn", units=4)


def test_clipping_per_tensor_by_default_or_of_the_whole_gradient():
    default = build_lag_model("simple_rnn", units=3)
    assert default.optimizer.clipnorm == 1.0 and default.optimizer.global_clipnorm is None  # unchanged default
    whole = build_lag_model("simple_rnn", units=3, clipnorm=None, global_clipnorm=0.5)
    assert whole.optimizer.clipnorm is None and whole.optimizer.global_clipnorm == 0.5
    with pytest.raises(ValueError, match="clipnorm=None"):
        build_lag_model("simple_rnn", units=3, global_clipnorm=1.0)  # clipnorm=1.0 by default: both would apply
    # The two rules on gradients of norms 3 and 4 (joint norm 5), through Keras' own clipping step:
    grads = [np.array([[3.0, 0.0], [0.0, 0.0]], "float32"), np.array([0.0, 4.0, 0.0], "float32")]
    tensors = [keras.ops.convert_to_tensor(g) for g in grads]
    per_tensor = [np.asarray(g) for g in default.optimizer._clip_gradients(tensors)]
    np.testing.assert_allclose(per_tensor[0], grads[0] / 3, rtol=1e-6)  # each tensor to norm 1 on its own:
    np.testing.assert_allclose(per_tensor[1], grads[1] / 4, rtol=1e-6)  # the direction of the whole changes
    joint = [np.asarray(g) for g in whole.optimizer._clip_gradients(tensors)]
    for before, after in zip(grads, joint):  # all together to joint norm 0.5: one factor, same direction
        np.testing.assert_allclose(after, before * 0.1, rtol=1e-6)
    task = make_lag_task(2, n_train=64, n_val=16, n_test=16, seed=1)
    run = train_lag_model(task, "simple_rnn", units=3, epochs=1, clipnorm=None, global_clipnorm=0.5, keep_model=True)
    assert run.model.optimizer.global_clipnorm == 0.5 and run.model.optimizer.clipnorm is None


def test_training_is_reproducible_and_learns_a_short_lag():
    task = make_lag_task(2, n_train=512, n_val=128, n_test=256, seed=1)
    first = train_lag_model(task, "lstm", units=8, epochs=12, batch_size=32, learning_rate=1e-2, seed=5)
    again = train_lag_model(task, "lstm", units=8, epochs=12, batch_size=32, learning_rate=1e-2, seed=5)
    assert first.test_accuracy == again.test_accuracy and first.history == again.history
    assert first.test_accuracy > 0.9  # lag 2 is easy: a broken pipeline (labels, shapes) would stay near 0.5
    assert first.n_params == recurrent_param_count("lstm", 8)
    assert first.n_params_total == first.n_params + 9
    assert len(first.history["loss"]) == 12 and first.model is None


def test_lag_sweep_table():
    table, runs = lag_sweep([1, 3], {"A": {"cell": "simple_rnn", "units": 3}, "B": {"cell": "lstm", "units": 2}},
                            seeds=(0,), task_kwargs={"n_train": 64, "n_val": 16, "n_test": 16},
                            keep_models_at=[3], log=None, epochs=1, batch_size=32)
    assert list(table["model"]) == ["A", "B", "A", "B"]
    assert list(table["max_lag"]) == [1, 1, 3, 3]
    assert [r.model is not None for r in runs] == [False, False, True, True]
    assert table["test_accuracy"].between(0, 1).all()


def test_parameter_counts_know_every_cell_the_models_can_build():
    from utils.models import RECURRENT_LAYERS
    from utils.tasks import _GATES

    assert set(_GATES) == set(RECURRENT_LAYERS)
