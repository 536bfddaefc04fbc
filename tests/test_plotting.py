"""utils.plotting: the plots of chapters 03, 05 and 06 draw what they are given (the chapters' figures
otherwise run only inside notebooks)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from utils import (  # noqa: E402
    plot_accuracy_by_lag,
    plot_accuracy_by_length,
    plot_confusion_matrix,
    plot_lm_history,
    plot_paired_differences,
    plot_training_steps,
    plot_vocabulary_coverage,
)
from utils.lm import LMHistory  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


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
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.5, 2 / 3, 1.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0–99", "100–499", "≥ 500"]
    assert _texts(ax)[0] == "50.0%\nn=2"


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
