"""Chapter 4's plotting helpers: the right panels, aligned with the words, clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.plotting import plot_by_distance, plot_lstm_gates, plot_seed_runs  # noqa: E402
from utils.scratch import LSTMParams, lstm_forward  # noqa: E402


@pytest.fixture()
def one_review():
    rng = np.random.default_rng(0)
    p = LSTMParams.init(3, 5, rng)
    x = rng.normal(size=(1, 7, 3)).astype(np.float32)
    _, gates = lstm_forward(x, p, return_gates=True)
    words = [f"w{t}" for t in range(7)]
    return {k: v[0] for k, v in gates.items()}, words


def test_gate_panels_words_and_colour_scales(one_review):
    trace, words = one_review
    fig = plot_lstm_gates(trace, words, keys=("f", "i", "c"), unit_order=np.arange(5)[::-1],
                          line=np.linspace(0, 1, 7), line_label="p")
    heat, line = fig.axes[0::2][:3], fig.axes[6]
    assert len(fig.axes) == 8  # 4 rows x (panel, colour bar)
    assert [t.get_text() for t in line.get_xticklabels()] == words
    assert all(not ax.get_xticklabels() or not any(t.get_text() for t in ax.get_xticklabels()) for ax in heat[:-1])
    gate_mesh, cell_mesh = heat[0].collections[0], heat[2].collections[0]
    assert gate_mesh.get_clim() == (0.0, 1.0)
    low, high = cell_mesh.get_clim()
    assert low == -high and high == pytest.approx(np.abs(trace["c"]).max())
    # rows are units in the requested order: the first row is the last unit
    assert np.allclose(np.asarray(gate_mesh.get_array()).reshape(5, 7)[0], trace["f"][:, 4])
    plt.close(fig)


def test_gate_panels_refuse_mismatched_input(one_review):
    trace, words = one_review
    with pytest.raises(ValueError, match="trace has no"):
        plot_lstm_gates(trace, words, keys=("f", "z"))
    with pytest.raises(ValueError, match="time = 6 words"):
        plot_lstm_gates(trace, words[:-1], keys=("f",))
    with pytest.raises(ValueError, match="one value per word"):
        plot_lstm_gates(trace, words, keys=("f",), line=np.zeros(3))
    plt.close("all")


def test_by_distance_is_log_scale_with_dashed_references():
    curves = {"a": 0.9 ** np.arange(10), "b": 0.5 ** np.arange(10)}
    fig = plot_by_distance(curves, references={"a": 0.8 ** np.arange(10)})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(solid) == 2 and len(dashed) == 1 and dashed[0].get_color() == solid[0].get_color()
    plt.close(fig)


def test_seed_runs_draw_every_seed_and_the_mean():
    runs = {"on": [[0.5, 1.0], [0.5, 0.9]], "off": [[0.5, 0.5], [0.5, 0.6], [0.4, 0.5]]}
    fig = plot_seed_runs(runs, chance=0.5)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == (1 + 2) + (1 + 3) + 1
    means = [line for line in ax.get_lines() if line.get_linewidth() > 2]
    assert np.allclose(means[0].get_ydata(), [0.5, 0.95])
    with pytest.raises(ValueError, match="equally long"):
        plot_seed_runs({"bad": [[0.5], [0.5, 0.6]]})
    plt.close("all")
