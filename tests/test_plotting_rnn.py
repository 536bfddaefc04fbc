"""Chapter 2's plotting helpers: learning curves, hidden states word by word, the insertion experiment."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from utils.plotting import plot_hidden_states, plot_learning_curves, plot_shift_by_distance  # noqa: E402


def test_learning_curves_pair_training_and_validation_per_run():
    histories = {"first 50": {"accuracy": [0.6, 0.7, 0.8], "val_accuracy": [0.55, 0.6, 0.62]},
                 "first 400": {"accuracy": [0.5, 0.9], "val_accuracy": [0.52, 0.7]}}
    fig = plot_learning_curves(histories)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["first 50, validation", "first 50, training",
                                                    "first 400, validation", "first 400, training"]
    val_50, train_50, val_400, train_400 = lines
    assert val_50.get_linestyle() == "-" and train_50.get_linestyle() == "--"
    assert val_50.get_color() == train_50.get_color() != val_400.get_color() == train_400.get_color()
    assert np.allclose(train_50.get_xdata(), [1, 2, 3]) and np.allclose(train_50.get_ydata(), [0.6, 0.7, 0.8])
    assert np.allclose(val_400.get_ydata(), [0.52, 0.7])
    assert list(ax.get_xticks()) == [1, 2, 3]  # every epoch of the longest run
    assert ax.get_ylabel() == "accuracy" and ax.get_xlabel() == "epoch"
    plt.close(fig)


def test_learning_curves_refuse_a_history_without_validation():
    with pytest.raises(ValueError, match="has no \\['val_accuracy'\\]"):
        plot_learning_curves({"run": {"accuracy": [0.5, 0.6], "loss": [1.0, 0.9]}})
    with pytest.raises(ValueError, match="empty"):
        plot_learning_curves({})
    plt.close("all")


def test_hidden_states_sorted_by_readout_weight_under_the_running_prediction():
    rng = np.random.default_rng(0)
    states = np.tanh(rng.normal(size=(6, 4)))  # (time, units)
    words = [f"w{t}" for t in range(6)]
    running = np.linspace(0.2, 0.9, 6)
    readout = np.array([0.1, -2.0, 3.0, 0.5])  # order by weight, largest first: units 2, 3, 0, 1
    fig = plot_hidden_states(states, words, running, readout=readout)
    top, heat = fig.axes[0], fig.axes[2]
    assert np.allclose(top.get_lines()[0].get_ydata(), running)
    assert np.allclose(top.get_lines()[0].get_xdata(), np.arange(6) + 0.5)  # centred on the heatmap's columns
    mesh = heat.collections[0]
    assert np.allclose(np.asarray(mesh.get_array()).reshape(4, 6), states.T[[2, 3, 0, 1]])
    assert mesh.get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in heat.get_xticklabels()] == words
    assert "read-out" in heat.get_ylabel()
    plt.close(fig)


def test_hidden_states_keep_the_unit_order_without_readout_and_check_shapes():
    states = np.zeros((3, 2))
    fig = plot_hidden_states(states, ["a", "b", "c"], [0.5, 0.5, 0.5])
    assert fig.axes[2].get_ylabel() == "unit"
    with pytest.raises(ValueError, match="time = 2 words"):
        plot_hidden_states(states, ["a", "b"], [0.5, 0.5])
    with pytest.raises(ValueError, match="one value per word"):
        plot_hidden_states(states, ["a", "b", "c"], [0.5, 0.5])
    with pytest.raises(ValueError, match="one weight per unit"):
        plot_hidden_states(states, ["a", "b", "c"], [0.5, 0.5, 0.5], readout=[1.0, 2.0, 3.0])
    plt.close("all")


def test_shift_by_distance_one_line_per_insertion_on_a_symlog_axis():
    table = pd.DataFrame({"k": [0, 0, 10, 10, 100, 100],
                          "insertion": ["neg", "pos"] * 3,
                          "mean shift": [0.4, 0.3, 0.2, 0.1, 0.05, 0.0]})
    fig = plot_shift_by_distance(table)
    ax = fig.axes[0]
    data_lines = [line for line in ax.get_lines() if line.get_label() in ("neg", "pos")]
    assert [line.get_label() for line in data_lines] == ["neg", "pos"]
    assert np.allclose(data_lines[0].get_xdata(), [0, 10, 100]) and np.allclose(data_lines[0].get_ydata(),
                                                                               [0.4, 0.2, 0.05])
    assert ax.get_xscale() == "symlog"
    assert list(ax.get_xticks()) == [0, 10, 100]
    assert "$k$" in ax.get_xlabel()
    plt.close(fig)


def test_shift_by_distance_draws_a_single_group_and_refuses_bad_tables():
    one = pd.DataFrame({"k": [0, 3], "insertion": ["neg", "neg"], "mean shift": [0.2, 0.1]})
    fig = plot_shift_by_distance(one)  # e.g. quick mode, where every review got the same decision
    assert [line.get_label() for line in fig.axes[0].get_lines()].count("neg") == 1
    with pytest.raises(ValueError, match="no column"):
        plot_shift_by_distance(one.rename(columns={"k": "distance"}))
    with pytest.raises(ValueError, match="empty"):
        plot_shift_by_distance(one.iloc[:0])
    plt.close("all")
