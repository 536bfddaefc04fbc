"""utils.checks: the NumPy-versus-Keras comparison the chapters and test_scratch.py rely on."""

from __future__ import annotations

import numpy as np
import pytest

from utils.checks import agreement_grid, compare_with_keras, keras_twin, max_abs_diff
from utils.scratch import LSTMParams, RNNParams, padding_mask


def test_max_abs_diff_is_computed_in_float64():
    a = np.array([1.0, 2.0], dtype=np.float32)
    b = np.array([1.0, 2.0 + 1e-7], dtype=np.float64)
    assert max_abs_diff(a, b) == pytest.approx(1e-7, rel=1e-3)  # float32 would round the difference away
    assert max_abs_diff([[0, -3]], [[0, 1]]) == 4.0


@pytest.mark.parametrize("params_class, layer", [(RNNParams, "SimpleRNN"), (LSTMParams, "LSTM")])
def test_keras_twin_holds_the_same_weights(params_class, layer):
    p = params_class.init(3, 5, np.random.default_rng(0))
    twin = keras_twin(p, return_sequences=True)
    assert type(twin).__name__ == layer and twin.return_sequences
    for ours, theirs in zip(p.keras_weights(), twin.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_keras_twin_refuses_other_objects():
    with pytest.raises(TypeError, match="RNNParams or LSTMParams"):
        keras_twin(np.zeros(3))


@pytest.mark.parametrize("params_class", [RNNParams, LSTMParams])
def test_compare_with_keras_is_small_for_the_same_function_and_large_otherwise(params_class, monkeypatch):
    rng = np.random.default_rng(1)
    p = params_class.init(4, 6, rng)
    x = rng.normal(size=(3, 7, 4)).astype("float32")
    mask = padding_mask([7, 4, 0], 7)
    assert compare_with_keras(p, x, mask=mask, return_sequences=True) < 1e-5
    import utils.checks as checks

    name, forward = checks._TWINS[params_class]
    monkeypatch.setitem(checks._TWINS, params_class, (name, lambda *a, **k: forward(*a, **k) + 0.01))
    assert compare_with_keras(p, x, mask=mask) == pytest.approx(0.01, abs=1e-5)  # a wrong forward pass shows


def test_agreement_grid_covers_every_case_and_agrees():
    grid = agreement_grid(LSTMParams, batches=(1, 4), steps=(1, 6), paddings=("none", "pre"), seed=3)
    assert len(grid) == 2 * 2 * 2 * 2  # batches x steps x output modes x paddings
    assert set(grid.columns) == {"batch", "steps", "return_sequences", "padding", "max_abs_diff"}
    assert (grid.max_abs_diff < 1e-5).all()
    again = agreement_grid(LSTMParams, batches=(1, 4), steps=(1, 6), paddings=("none", "pre"), seed=3)
    np.testing.assert_array_equal(grid.max_abs_diff, again.max_abs_diff)  # one seed, the same cases
