"""utils.plotting: the book's plots draw what they are given (the chapters' figures otherwise run only inside
notebooks), with the words lined up and clear errors for input that does not fit.

In the order of the book: the general helpers (training history, word heatmap); chapter 01 (ratings, review
lengths, vocabulary coverage, top weights); chapter 02 (learning curves, hidden states word by word, the
insertion experiment); chapter 04 (gate panels, decay with distance, seed runs); then the plots of chapters 03,
05 and 06.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt

from utils import (
    plot_accuracy_by_lag,
    plot_accuracy_by_length,
    plot_confusion_matrix,
    plot_length_distribution,
    plot_lm_history,
    plot_paired_differences,
    plot_rating_distribution,
    plot_top_weights,
    plot_training_steps,
    plot_vocabulary_coverage,
    plot_word_heatmap,
)
from utils.lm import LMHistory
from utils.plotting import (
    plot_by_distance,
    plot_hidden_states,
    plot_learning_curves,
    plot_lstm_gates,
    plot_seed_runs,
    plot_shift_by_distance,
)
from utils.scratch import LSTMParams, lstm_forward
from utils.stats import accuracy_interval


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# --------------------------------------------------------------------------- general helpers


def test_learning_curves_of_one_run_one_panel_per_metric():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}  # no val_accuracy
    fig = plot_learning_curves(history, metrics=("loss", "accuracy", "auc"))  # "auc": in no history, left out
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["validation", "training"]
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["training"]
    assert np.allclose(fig.axes[0].get_lines()[0].get_ydata(), [1.1, 0.7])
    with pytest.raises(ValueError, match="none of the metrics"):
        plot_learning_curves({"auc": [0.5]}, metrics=("loss",))
    with pytest.raises(ValueError, match="2 axes for 1 panels"):
        plot_learning_curves(history, metrics=("loss",), ax=plt.subplots(1, 2)[1])
    plt.close("all")


def test_learning_curves_of_a_long_run_have_integer_ticks():
    fig = plot_learning_curves({"loss": list(np.linspace(1, 0.1, 30))}, metrics=("loss",))
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) < 30 and np.allclose(ticks, np.round(ticks))
    plt.close(fig)


def test_plot_word_heatmap_words_and_colour_bar_axes():
    values = np.linspace(-1, 1, 12).reshape(3, 4)
    fig = plot_word_heatmap(values, ["a", "b", "c", "d"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c", "d"]
    fig, (ax, cax) = plt.subplots(1, 2)
    plot_word_heatmap(values, list("abcd"), ax=ax, cbar_ax=cax)
    assert len(fig.axes) == 2  # the colour bar went into cax, no third axes
    with pytest.raises(ValueError):
        plot_word_heatmap(values, ["a", "b"])
    plt.close("all")


# --------------------------------------------------------------------------- chapter 01


def test_rating_plot_counts_every_star():
    fig = plot_rating_distribution({"train": [1, 1, 2, 10], "test": [4, 7, 7]})
    train_bars, test_bars = ([int(bar.get_height()) for bar in c] for c in fig.axes[0].containers)
    assert train_bars == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert test_bars == [0, 0, 0, 1, 0, 0, 2, 0, 0, 0]
    with pytest.raises(ValueError, match="empty"):
        plot_rating_distribution({})


def test_length_plot_rejects_bad_lengths():
    fig = plot_length_distribution({"train": [10, 20, 40, 400], "test": [15, 30]})
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="positive token counts"):
        plot_length_distribution({"train": [0, 3]})


def test_coverage_plot_marks_the_right_share():
    fig = plot_vocabulary_coverage([1, 6, 3], marks=[2])
    x, y = fig.axes[0].lines[0].get_data()
    np.testing.assert_allclose(y, [0.6, 0.9, 1.0])
    assert fig.axes[0].lines[1].get_ydata()[0] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="positive counts"):
        plot_vocabulary_coverage([])


def test_top_weights_plot_picks_the_extremes():
    fig = plot_top_weights([0.5, -2.0, 0.1, 3.0], ["ok", "awful", "film", "great"], k=1)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["awful", "great"]
    with pytest.raises(ValueError, match="must match"):
        plot_top_weights([1.0, 2.0], ["a"], k=1)


# --------------------------------------------------------------------------- chapter 02


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


def test_learning_curves_refuse_a_run_without_the_metric_and_an_empty_mapping():
    with pytest.raises(ValueError, match="history of 'b' has no 'accuracy'"):
        plot_learning_curves({"a": {"accuracy": [0.5, 0.6]}, "b": {"loss": [1.0, 0.9]}})
    with pytest.raises(ValueError, match="empty"):
        plot_learning_curves({})
    plt.close("all")


def test_learning_curves_panels_on_given_axes():
    runs = {"network 1": {"loss": [1, 0.5], "val_loss": [1, 0.6], "accuracy": [0.5, 0.7], "val_accuracy": [0.5, 0.6]},
            "network 2": {"loss": [1, 0.4], "val_loss": [1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.5, 0.7]}}
    fig, axes = plt.subplots(1, 2)
    assert plot_learning_curves(runs, metrics=("loss", "accuracy"), ax=axes) is fig
    assert [len(ax.get_lines()) for ax in axes] == [4, 4]
    assert axes[1].get_lines()[2].get_label() == "network 2, validation"
    plt.close(fig)


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


# --------------------------------------------------------------------------- chapter 04


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


# --------------------------------------------------------------------------- chapters 03, 05 and 06


def test_confusion_matrix_counts_every_pair_with_row_shares():
    fig = plot_confusion_matrix([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    texts = _texts(fig.axes[0])
    assert texts == ["2\n(66.7%)", "1\n(33.3%)", "0\n(0.0%)", "2\n(100.0%)"]
    assert fig.axes[0].get_xlabel() == "predicted" and fig.axes[0].get_ylabel() == "true"


def test_accuracy_by_length_buckets_reviews_by_their_edges():
    lengths = [10, 20, 150, 160, 170, 900]
    correct = [1, 0, 1, 1, 0, 1]
    fig = plot_accuracy_by_length(lengths, correct, edges=[0, 100, 500, 10_000])
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.5, 2 / 3, 1.0])  # one point per bucket
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0–99", "100–499", "≥ 500"]
    assert _texts(ax)[0] == "50.0%\nn=2"
    # each point carries its Wilson interval, and the axis shows all of them
    bucket_two = accuracy_interval(np.array([True, True, False]))
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose(segments[1][:, 1], bucket_two[1:])
    assert ax.get_ylim()[0] <= min(seg[:, 1].min() for seg in segments) and ax.get_ylim()[1] <= 1.0


def test_paired_differences_draw_each_interval_in_points_first_row_on_top():
    rows = pd.DataFrame({"difference": [0.01, -0.002], "low": [0.004, -0.01], "high": [0.016, 0.006],
                         "adopted": [True, False]}, index=["LM vs scratch", "LM vs chapter 05"])
    fig = plot_paired_differences(rows)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LM vs chapter 05", "LM vs scratch"]
    assert "+1.00 [+0.40, +1.60]" in _texts(ax)
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose(segments[1][:, 0], [0.4, 1.6])  # the top row's interval, in points


def test_lm_history_plots_loss_and_perplexity_with_the_unigram_line():
    history = LMHistory(steps=[1, 2, 3], tokens=[1e6, 2e6, 3e6], loss=[7.0, 6.0, 5.5],
                        val_tokens=[1.5e6, 3e6], val_perplexity=[400.0, 250.0])
    fig = plot_lm_history(history, unigram=900.0)
    loss_ax, ppl_ax = fig.axes
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(ppl_ax.lines[0].get_ydata(), [400, 250])
    np.testing.assert_allclose(ppl_ax.lines[1].get_ydata(), [900, 900])
    assert ppl_ax.get_yscale() == "log"
    # a quarter of room below the lowest perplexity and above the unigram line (autoscaling put it on the edge)
    np.testing.assert_allclose(ppl_ax.get_ylim(), (250 / 1.25, 900 * 1.25))
    assert ppl_ax.yaxis.get_minor_formatter()(300.0) == "300"  # plain numbers, not 3 × 10²
    # a run whose perplexity is not finite yet still draws (no limits from NaN)
    empty = LMHistory(steps=[1], tokens=[1e6], loss=[7.0], val_tokens=[1e6], val_perplexity=[float("nan")])
    assert plot_lm_history(empty).axes[1].get_yscale() == "log"


def test_training_steps_mark_the_first_step_that_is_not_finite():
    logs = {"clipped": {"loss": [1.0, 0.5, 0.4], "grad_norm": [3.0, 2.0, 1.0]},
            "diverged": {"loss": [1.0, np.inf, np.nan], "grad_norm": [3.0, 50.0, np.nan]}}
    fig = plot_training_steps(logs, detail="clipped")
    assert len(fig.axes) == 3
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["clipped", "diverged (not finite from step 2)"]
    with pytest.raises(ValueError, match="detail"):
        plot_training_steps(logs, detail="missing")


def test_accuracy_by_lag_draws_the_mean_over_seeds_and_chance():
    table = pd.DataFrame({"model": ["rnn"] * 4 + ["lstm"] * 4, "max_lag": [5, 5, 50, 50] * 2,
                          "test_accuracy": [0.9, 1.0, 0.5, 0.6, 1.0, 1.0, 0.9, 0.95]})
    fig = plot_accuracy_by_lag(table)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.95, 0.55])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 0.925])
    assert ax.get_legend_handles_labels()[1] == ["rnn", "lstm", "chance"]


def test_vocabulary_coverage_held_out_curve_is_one_minus_the_oov_rate():
    fig = plot_vocabulary_coverage([5, 3, 2], held_out=[1, 0, 2], held_out_total=4)
    train, held = fig.axes[0].lines[:2]
    np.testing.assert_allclose(train.get_ydata(), [0.5, 0.8, 1.0])
    np.testing.assert_allclose(held.get_ydata(), [0.25, 0.25, 0.75])  # one held-out token never seen in training
    with pytest.raises(ValueError, match="held_out_total"):
        plot_vocabulary_coverage([5, 3, 2], held_out=[1, 0, 2], held_out_total=2)
    with pytest.raises(ValueError, match="held_out"):
        plot_vocabulary_coverage([5, 3, 2], held_out=[1, 0])
