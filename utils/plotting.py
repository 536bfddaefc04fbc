"""The book's plots, in chapter order after the two that several chapters use. Each returns its Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import LogLocator, MaxNLocator, StrMethodFormatter

__all__ = ["plot_learning_curves", "plot_word_heatmap", "plot_rating_distribution", "plot_length_distribution",
    "plot_vocabulary_coverage", "plot_top_weights", "plot_hidden_states", "plot_shift_by_distance",
    "plot_training_steps", "plot_accuracy_by_lag", "plot_lstm_gates", "plot_by_distance", "plot_seed_runs",
    "plot_confusion_matrix", "plot_accuracy_by_length", "plot_paired_differences", "plot_lm_history"]


# --- used by several chapters ---


def plot_learning_curves(histories, *, metrics=("accuracy",), ax=None, title: str | None = None):
    """Training (dashed) and validation (solid) curves by epoch, one panel per metric.

    ``histories`` is one run's Keras ``History`` (or its ``.history`` dict), or a
    mapping from run labels to histories, drawn in one colour per run. For each
    run the validation curve (``val_<metric>``, when present) comes first, then the
    training curve; the legend names them "validation" and "training", after the
    run's label. Metrics that no history holds are left out (an error if none is
    left). ``ax``: one Axes per panel drawn. Epochs are numbered from 1.
    """
    one_run = hasattr(histories, "history") or (
        isinstance(histories, dict) and histories and all(isinstance(v, (list, tuple)) for v in histories.values()))
    if one_run:
        histories = {"": histories}
    if not histories:
        raise ValueError("histories is empty: pass a History, or e.g. {'first 50': history_50, 'first 400': h_400}")
    runs = {label: getattr(h, "history", h) for label, h in histories.items()}
    drawn = [m for m in metrics if any(m in logs for logs in runs.values())]
    if not drawn:
        raise ValueError(f"none of the metrics {tuple(metrics)} is in the histories; they have "
                         f"{sorted(set().union(*map(set, runs.values())))}")
    if ax is None:
        width = 6.6 if len(drawn) == 1 else 5.0 * len(drawn)
        _, ax = plt.subplots(1, len(drawn), figsize=(width, 3.4), squeeze=False)
    axes = np.atleast_1d(ax).ravel()
    if len(axes) != len(drawn):
        raise ValueError(f"got {len(axes)} axes for {len(drawn)} panels ({drawn})")
    for panel, metric in zip(axes, drawn):
        most = 0
        for label, logs in runs.items():
            if metric not in logs:
                raise ValueError(f"the history of {label or 'the run'!r} has no {metric!r}; it has {sorted(logs)}")
            epochs = np.arange(1, len(logs[metric]) + 1)
            most = max(most, len(epochs))
            prefix = f"{label}, " if label else ""
            color = None
            if f"val_{metric}" in logs:
                (line,) = panel.plot(epochs, logs[f"val_{metric}"], marker="o", label=f"{prefix}validation")
                color = line.get_color()
            panel.plot(epochs, logs[metric], ls="--", marker=".", color=color, label=f"{prefix}training")
        panel.set(xlabel="epoch", ylabel=metric)
        if most <= 12:
            panel.set_xticks(np.arange(1, most + 1))  # every epoch
        else:
            panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.legend(fontsize=7.5, ncol=2 if len(runs) > 1 else 1)
    if title:
        axes[0].figure.suptitle(title)
    return axes[0].figure


def plot_word_heatmap(values, words, *, ax=None, title=None, cmap="RdBu_r", center=0.0, vmin=None, vmax=None,
                      ylabel="unit", cbar_label=None, max_units=None, cbar_ax=None):
    """Heatmap of ``values`` (``(units, time)``) with one word under each time step.

    Used for the hidden states of chapter 2 (chapter 4 stacks several such panels with
    :func:`plot_lstm_gates`). Pass ``center=None`` with ``cmap="viridis"`` for values in
    ``[0, 1]`` such as gates.
    ``cbar_ax`` draws the colour bar into that Axes (so panels above can stay aligned with the heatmap).
    """

    values = np.asarray(values)
    if values.ndim != 2 or values.shape[1] != len(words):
        raise ValueError(f"values must be (units, {len(words)}) to match the words, got {values.shape}")
    if max_units is not None:
        values = values[:max_units]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.32 * len(words) + 1.5), max(2.2, 0.18 * values.shape[0] + 1.2)))
    sns.heatmap(values, ax=ax, cmap=cmap, center=center, vmin=vmin, vmax=vmax, xticklabels=list(words),
                yticklabels=False, cbar_kws={"label": cbar_label} if cbar_label else None, cbar_ax=cbar_ax)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax.figure


# --- chapter 1: the IMDb tour and the bag-of-words baselines ---


def plot_rating_distribution(ratings_by_split, *, negative_max: int = 4, positive_min: int = 7):
    """Bar chart of how many reviews have each star rating (1-10), one bar colour per split.

    ``ratings_by_split`` maps a split name to its ratings (e.g.
    ``{"train": train.rating, "test": test.rating}``). Ratings up to
    ``negative_max`` are shaded as negative and from ``positive_min`` as
    positive; the ones in between are marked as left out of the dataset.
    """

    if not ratings_by_split:
        raise ValueError("ratings_by_split is empty: pass e.g. {'train': train.rating, 'test': test.rating}")
    stars = np.arange(1, 11)
    rows = [
        {"rating": int(star), "split": split, "reviews": int(np.sum(np.asarray(ratings) == star))}
        for split, ratings in ratings_by_split.items()
        for star in stars
    ]
    table = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    ax.axvspan(-0.5, negative_max - 0.5, color="tab:red", alpha=0.07, lw=0)
    ax.axvspan(positive_min - 1.5, len(stars) - 0.5, color="tab:blue", alpha=0.07, lw=0)
    sns.barplot(table, x="rating", y="reviews", hue="split", ax=ax)
    top = table["reviews"].max()
    ax.text((negative_max - 1) / 2, top * 1.02, "negative (label 0)", ha="center", va="bottom", fontsize=9)
    ax.text((positive_min - 1 + len(stars) - 1) / 2, top * 1.02, "positive (label 1)", ha="center", va="bottom",
            fontsize=9)
    ax.text((negative_max + positive_min - 2) / 2, top * 0.2, "left out", ha="center", va="center", fontsize=9,
            rotation=90, color="0.4")
    ax.set_ylim(0, top * 1.15)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.92), title="split")
    ax.set_xlabel("star rating")
    ax.set_ylabel("reviews")
    return fig


def plot_length_distribution(lengths_by_split, *, percentiles=(50, 90, 99), bins: int = 60):
    """Histogram of review lengths in tokens (one colour per split), with percentile markers.

    ``lengths_by_split`` maps a split name to an array of lengths. The x-axis
    is logarithmic because lengths are strongly right-skewed; dashed lines mark
    the given percentiles of the first split.
    """

    if not lengths_by_split:
        raise ValueError("lengths_by_split is empty: pass e.g. {'train': lengths_train}")
    frames = []
    for split, lengths in lengths_by_split.items():
        lengths = np.asarray(lengths)
        if lengths.ndim != 1 or lengths.size == 0 or (lengths < 1).any():
            raise ValueError(f"lengths for {split!r} must be a non-empty 1-D array of positive token counts")
        frames.append(pd.DataFrame({"tokens": lengths, "split": split}))
    table = pd.concat(frames, ignore_index=True)
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    sns.histplot(table, x="tokens", hue="split", bins=bins, log_scale=True, element="step", ax=ax)
    first_split, first = next(iter(lengths_by_split.items()))
    for q in percentiles:
        value = np.percentile(first, q)
        ax.axvline(value, color="0.3", ls="--", lw=1)
        ax.text(value, ax.get_ylim()[1] * 0.97, f"{q}th: {value:.0f}", rotation=90, va="top", ha="right", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 1})
    ax.set_xlabel(f"review length in tokens (log scale; dashed: percentiles of {first_split})")
    ax.set_ylabel("reviews")
    return fig


def plot_vocabulary_coverage(token_counts, *, marks=(), held_out=None, held_out_total=None,
                             labels=("training text", "held-out text")):
    """Share of all tokens covered by the ``V`` most frequent words, against ``V`` (log scale).

    ``token_counts`` are the occurrence counts of every distinct token (any
    order). ``marks`` are vocabulary sizes to highlight, e.g. the one a
    ``TextVectorization`` layer keeps.

    ``held_out`` (optional) adds a second curve for text the vocabulary was
    not built from, e.g. a validation split: how often each of the *same*
    tokens, in the same order as ``token_counts``, occurs in that text.
    ``held_out_total`` is its number of tokens, including those that never
    occur in the training text (default: ``sum(held_out)``). The held-out
    curve is then one minus the out-of-vocabulary rate of that text. The
    curves are labelled with ``labels``.
    """

    counts = np.asarray(token_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts <= 0).any():
        raise ValueError("token_counts must be a non-empty 1-D array of positive counts")
    order = np.argsort(-counts, kind="stable")  # most frequent first; ties keep their order
    coverage = np.cumsum(counts[order]) / counts.sum()
    curves = [(labels[0], coverage)]
    if held_out is not None:
        held = np.asarray(held_out, dtype=np.float64)
        if held.shape != counts.shape or (held < 0).any():
            raise ValueError("held_out must hold one non-negative count per entry of token_counts, in the same order")
        total = held.sum() if held_out_total is None else float(held_out_total)
        if total <= 0 or total < held.sum():
            raise ValueError(f"held_out_total must be positive and at least sum(held_out) = {held.sum():.0f}")
        curves.append((labels[1], np.cumsum(held[order]) / total))
    sizes = np.arange(1, counts.size + 1)
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    for k, (label, curve) in enumerate(curves):
        line, = ax.plot(sizes, curve, label=label)
        if k == 0:  # the one-curve plot keeps its original look
            offset = (8, -14) if len(curves) == 1 else (-8, 8)
        else:
            offset = (8, -16)
        for mark in marks:
            covered = curve[min(int(mark), counts.size) - 1]
            ax.plot([mark], [covered], marker="o", color="tab:red" if len(curves) == 1 else line.get_color())
            ax.annotate(f"{int(mark):,} words: {covered:.1%}", (mark, covered), xytext=offset,
                        textcoords="offset points", fontsize=9, ha="left" if offset[0] > 0 else "right",
                        color="black" if len(curves) == 1 else line.get_color())
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size V (most frequent words first, log scale)")
    ax.set_ylabel("share of tokens covered")
    ax.set_ylim(0, 1.02)
    if len(curves) > 1:
        ax.legend(loc="lower right")
    return fig


def plot_top_weights(weights, vocabulary, *, k: int = 12, title: str | None = None):
    """Horizontal bars of the ``k`` most negative and ``k`` most positive weights, labelled by their token."""

    weights = np.asarray(weights).reshape(-1)
    vocabulary = list(vocabulary)
    if len(weights) != len(vocabulary):
        raise ValueError(f"{len(weights)} weights but {len(vocabulary)} vocabulary entries: they must match")
    if not 1 <= k <= len(weights) // 2:
        raise ValueError(f"k must be between 1 and {len(weights) // 2}, got {k}")
    order = np.argsort(weights)
    chosen = np.concatenate([order[:k], order[-k:]])
    fig, ax = plt.subplots(figsize=(7.0, 0.22 * 2 * k + 1.0))
    colors = ["tab:red" if weights[i] < 0 else "tab:blue" for i in chosen]
    ax.barh(range(2 * k), weights[chosen], color=colors)
    ax.set_yticks(range(2 * k), [vocabulary[i] for i in chosen], fontsize=8)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_xlabel("weight in the logistic regression")
    if title:
        ax.set_title(title)
    return fig


# --- chapter 2: an RNN from scratch ---


def plot_hidden_states(states, words, running, *, readout=None):
    """A recurrent network reading one sequence: the running prediction above the hidden states.

    ``states`` is ``(time, units)`` (every ``h_t`` of ONE sequence, e.g.
    ``rnn_forward(..., return_sequences=True)[0]``), ``words`` the token read at each
    step and ``running`` the prediction after each step, e.g. ``σ(w·h_t + b)``
    (values in ``[0, 1]``, drawn with a dashed line at 0.5). The bottom panel is a
    heatmap of the states (one row per unit, colours from -1 to 1, for a tanh layer).
    ``readout`` (one read-out weight per unit) sorts the rows by that weight, largest
    first; without it the units keep their order.
    """

    states = np.asarray(states, dtype=float)
    words = list(words)
    running = np.asarray(running, dtype=float)
    if states.ndim != 2 or states.shape[0] != len(words):
        raise ValueError(f"states must be (time, units) with time = {len(words)} words, got {states.shape}")
    if running.shape != (len(words),):
        raise ValueError(f"running must have one value per word ({len(words)}), got shape {running.shape}")
    order = np.arange(states.shape[1])
    if readout is not None:
        readout = np.asarray(readout, dtype=float).reshape(-1)
        if readout.shape != (states.shape[1],):
            raise ValueError(f"readout must have one weight per unit ({states.shape[1]}), got shape {readout.shape}")
        order = np.argsort(readout)[::-1]  # largest read-out weight first
    fig, axes = plt.subplots(2, 2, figsize=(max(7.0, 0.2 * len(words) + 2.0), 6.2),
                             gridspec_kw={"height_ratios": [1, 3.2], "width_ratios": [1, 0.02]})
    top, bottom = axes[0, 0], axes[1, 0]
    axes[0, 1].axis("off")
    top.plot(np.arange(len(words)) + 0.5, running, marker=".", color="black")
    top.axhline(0.5, color="grey", lw=0.8, ls="--")
    top.set(xlim=(0, len(words)), ylim=(0, 1), xticks=[], ylabel=r"$\hat y_t$")
    plot_word_heatmap(states.T[order], words, ax=bottom, cbar_ax=axes[1, 1], vmin=-1, vmax=1,
                      ylabel="unit (sorted by read-out weight)" if readout is not None else "unit",
                      cbar_label=r"$h_t$")
    return fig


def plot_shift_by_distance(table, *, x: str = "k", y: str = "mean shift", hue: str = "insertion", ax=None,
                           xlabel: str = "$k$: review tokens read after the phrase",
                           ylabel: str = r"mean shift of $\hat y$"):
    """How far an inserted phrase moves a prediction, against the number of tokens read after it.

    ``table`` is a ``pandas.DataFrame`` with one row per (``x``, ``hue``) pair, e.g.
    the insertion experiment of chapter 2: ``k`` (tokens after the phrase),
    ``insertion`` (which phrase into which reviews) and ``mean shift``. One line per
    ``hue`` value, in order of appearance; the x-axis is symmetric-log (linear
    below 1, so ``k = 0`` can be shown) with a tick at every distance measured.
    """

    missing = [c for c in (x, y, hue) if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; it has {list(table.columns)}")
    if len(table) == 0:
        raise ValueError("table is empty: nothing to plot")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.3))
    for name, part in table.groupby(hue, sort=False):
        ax.plot(part[x], part[y], marker="o", label=name)
    ticks = sorted(np.unique(table[x]).tolist())
    ax.set_xscale("symlog", linthresh=1)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xticks=ticks, xticklabels=ticks, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    return ax.figure


# --- chapter 3: vanishing and exploding gradients ---


def plot_training_steps(logs, *, axes=None, detail=None):
    """Loss and gradient norm at every optimizer step, one colour per run, both on log scales.

    ``logs`` maps a label to ``{"loss": (steps,), "grad_norm": (steps,)}`` as returned by
    :func:`utils.gradients.fit_with_gradient_log`. Values that are not finite (a run that diverged to
    ``inf`` or ``nan``) cannot be drawn; the first such step of each run is marked with a dotted
    vertical line in both panels and named in the legend. ``detail`` (a label of ``logs``) adds a third
    panel with that run's loss on a linear scale, where a log scale spanning a divergence would flatten it.
    """

    if detail is not None and detail not in logs:
        raise ValueError(f"detail must be one of {list(logs)}, not {detail!r}")
    if axes is None:
        _, axes = plt.subplots(1, 3 if detail is not None else 2, figsize=(14 if detail is not None else 10, 3.6))
    colours = {}
    for label, log in logs.items():
        loss = np.asarray(log["loss"], dtype=float)
        norm = np.asarray(log["grad_norm"], dtype=float)
        bad = ~(np.isfinite(loss) & np.isfinite(norm))
        first_bad = int(np.argmax(bad)) + 1 if bad.any() else None
        text = label if first_bad is None else f"{label} (not finite from step {first_bad})"
        steps = np.arange(1, len(loss) + 1)
        (line,) = axes[0].semilogy(steps, np.where(np.isfinite(loss), loss, np.nan), lw=1, label=text)
        colours[label] = line.get_color()
        axes[1].semilogy(steps, np.where(np.isfinite(norm), norm, np.nan), lw=1, color=line.get_color(), label=text)
        if first_bad is not None:
            for ax in axes[:2]:
                ax.axvline(first_bad, color=line.get_color(), ls=":", lw=1.5)
    axes[0].set_ylabel("training loss of the batch")
    axes[1].set_ylabel("gradient norm (before clipping)")
    if detail is not None:
        loss = np.asarray(logs[detail]["loss"], dtype=float)
        axes[2].plot(np.arange(1, len(loss) + 1), np.where(np.isfinite(loss), loss, np.nan), lw=1,
                     color=colours[detail])
        axes[2].set_ylim(bottom=0)
        axes[2].set_ylabel("training loss of the batch")
        axes[2].set_title(f"{detail}, linear scale")
    for ax in axes:
        ax.set_xlabel("optimizer step")
    axes[0].legend(fontsize=8)
    return axes[0].figure


def plot_accuracy_by_lag(table, *, ax=None, x="max_lag", y="test_accuracy", hue="model", chance=0.5):
    """Accuracy against the lag, one line per model (the mean over seeds, with every seed as a dot).

    ``table`` is a ``pandas.DataFrame`` such as the one returned by :func:`utils.tasks.lag_sweep`.
    A dashed grey line marks ``chance``.
    """
    if ax is None:
        _, ax = plt.subplots()
    for name, group in table.groupby(hue, sort=False):
        mean = group.groupby(x)[y].mean()
        (line,) = ax.plot(mean.index, mean.to_numpy(), marker="o", label=name)
        if group.groupby(x)[y].size().max() > 1:
            ax.scatter(group[x], group[y], s=12, alpha=0.5, color=line.get_color())
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls="--", label="chance")
    ax.set_ylim(min(0.4, float(table[y].min()) - 0.02), 1.02)
    ax.set_xlabel("lag $N$ (steps between the marked input and the output)")
    ax.set_ylabel(y.replace("_", " "))
    ax.legend(fontsize=8)
    return ax.figure


# --- chapter 4: the LSTM's gates and experiments ---

GATE_NAMES = {"f": "forget gate $f_t$", "i": "input gate $i_t$", "g": r"candidate $g_t$ ($\tilde c_t$)",
              "o": "output gate $o_t$", "c": "cell state $c_t$", "h": "hidden state $h_t$"}


def plot_lstm_gates(trace, words, *, keys=("f", "i", "o", "c"), unit_order=None, line=None, line_label=None,
                    line_ylim=(0.0, 1.0), line_ref=0.5):
    """Stacked heatmaps of an LSTM's gates and cell state over one sequence, one column per word.

    ``trace`` maps ``"f", "i", "g", "o", "c"`` (and optionally ``"h"``) to arrays
    ``(time, units)`` for ONE sequence, e.g. ``{k: v[0] for k, v in gates.items()}``
    from :func:`utils.scratch.lstm_forward` with ``return_gates=True``.
    The gates ``f``, ``i``, ``o`` share one colour scale, ``[0, 1]``; every other
    key (``g``, ``c``, ``h`` or any extra array, e.g. the write ``i * g``) uses a
    diverging scale centred on 0 and is titled by its key if it has no name here.
    ``unit_order`` reorders the rows (units); ``line`` adds a last
    panel with one value per word (e.g. the running prediction), aligned with
    the columns. Only the bottom panel is labelled with the words.
    """

    words = list(words)
    missing = [k for k in keys if k not in trace]
    if missing:
        raise ValueError(f"trace has no {missing}; it has {sorted(trace)}")
    arrays = {k: np.asarray(trace[k]) for k in keys}
    for k, a in arrays.items():
        if a.ndim != 2 or a.shape[0] != len(words):
            raise ValueError(f"trace[{k!r}] must be (time, units) with time = {len(words)} words, got {a.shape}")
    units = arrays[keys[0]].shape[1]
    order = np.arange(units) if unit_order is None else np.asarray(unit_order)
    rows = len(keys) + (line is not None)
    heights = [max(1.6, 0.06 * units + 0.6)] * len(keys) + ([1.3] if line is not None else [])
    fig, axes = plt.subplots(rows, 2, figsize=(max(7.0, 0.26 * len(words) + 1.8), sum(heights) + 1.0),
                             gridspec_kw={"width_ratios": [1, 0.015], "height_ratios": heights}, squeeze=False)
    for row, k in enumerate(keys):
        ax, cax = axes[row]
        values = arrays[k][:, order].T
        if k in ("f", "i", "o"):
            style = dict(cmap="viridis", vmin=0.0, vmax=1.0)
        else:  # signed: the candidate, states, or anything else (e.g. the write i*g)
            lim = float(np.max(np.abs(values))) or 1.0
            style = dict(cmap="RdBu_r", center=0.0, vmin=-lim, vmax=lim)
        sns.heatmap(values, ax=ax, cbar_ax=cax, xticklabels=False, yticklabels=False, **style)
        ax.set_ylabel("unit", fontsize=8)
        ax.set_title(GATE_NAMES.get(k, k), loc="left", fontsize=9)
    if line is not None:
        ax, cax = axes[-1]
        cax.axis("off")
        line = np.asarray(line, dtype=float)
        if line.shape != (len(words),):
            raise ValueError(f"line must have one value per word ({len(words)}), got shape {line.shape}")
        ax.plot(np.arange(len(words)) + 0.5, line, marker=".", color="black")
        if line_ref is not None:
            ax.axhline(line_ref, color="grey", lw=0.8, ls="--")
        ax.set_xlim(0, len(words))
        ax.set_ylim(*line_ylim)
        ax.set_ylabel(line_label or "", fontsize=8)
    bottom = axes[-1][0]
    bottom.set_xticks(np.arange(len(words)) + 0.5)
    bottom.set_xticklabels(words, rotation=70, ha="right", fontsize=8)
    return fig


def plot_by_distance(curves, *, ax=None, references=None, title=None, ylabel="gradient norm", xlabel=None):
    """Log-scale curves indexed by distance to the output: ``curves`` maps a label to ``values[k]``.

    ``values[k]`` belongs to the step ``k`` steps before the output (``k = 0``: the
    last step). ``references`` (label → ``values[k]``) are drawn dashed in the colour of the
    curve with the same label, e.g. a prediction next to a measurement.
    """

    if ax is None:
        _, ax = plt.subplots()
    colours = {}
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        (line,) = ax.semilogy(np.arange(len(values)), values, label=label)
        colours[label] = line.get_color()
    for label, values in (references or {}).items():
        values = np.asarray(values, dtype=float)
        ax.semilogy(np.arange(len(values)), values, ls="--", lw=1, color=colours.get(label, "grey"))
    ax.set_xlabel(xlabel or "distance to the output $k$ (steps)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax.figure


def plot_seed_runs(runs, *, ax=None, ylabel="validation accuracy", xlabel="epoch", chance=None, title=None):
    """One thin line per seed and a thick mean line per setting: ``runs`` maps a label to a list of curves.

    Every curve of a setting must have the same length (same budget). Epochs are numbered from 1.
    """

    if ax is None:
        _, ax = plt.subplots()
    for label, curves in runs.items():
        lengths = {len(curve) for curve in curves}
        if len(lengths) != 1:
            raise ValueError(f"runs[{label!r}] must be a list of equally long curves, got lengths {sorted(lengths)}")
        curves = np.asarray(curves, dtype=float)
        x = np.arange(1, curves.shape[1] + 1)
        (mean,) = ax.plot(x, curves.mean(axis=0), lw=2.2, label=f"{label} (mean of {len(curves)})")
        for curve in curves:
            ax.plot(x, curve, lw=0.8, alpha=0.5, color=mean.get_color())
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax.figure


# --- chapter 5: the IMDb classifier ---


def plot_confusion_matrix(y_true, y_pred, labels=("negative", "positive"), ax=None):
    """Counts of (true, predicted) classes as an annotated seaborn heatmap, with row percentages."""

    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    counts = np.zeros((2, 2), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    share = counts / counts.sum(axis=1, keepdims=True)
    annot = np.array([[f"{counts[i, j]:,}\n({share[i, j]:.1%})" for j in range(2)] for i in range(2)])
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.4))
    sns.heatmap(counts, annot=annot, fmt="", cmap="Blues", cbar=False, xticklabels=labels, yticklabels=labels, ax=ax)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax.figure


def plot_accuracy_by_length(lengths, correct, edges, ax=None):
    """Accuracy with its 95% Wilson interval, and the number of reviews, per length bucket ``[edges[k], edges[k+1])``.

    Points with error bars rather than bars: the axis does not start at zero (the
    accuracies differ by a few points), and a bar cut off above zero would
    exaggerate those differences; the intervals show which buckets hold too few
    reviews to tell.
    """
    from utils.stats import accuracy_interval

    lengths, correct = np.asarray(lengths), np.asarray(correct).astype(bool)
    which = np.digitize(lengths, edges[1:-1])
    names = [f"{edges[k]}–{edges[k + 1] - 1}" if k < len(edges) - 2 else f"≥ {edges[k]}" for k in range(len(edges) - 1)]
    buckets = [correct[which == k] for k in range(len(names))]
    stats = [accuracy_interval(bucket) if bucket.size else (np.nan, np.nan, np.nan) for bucket in buckets]
    acc, low, high = (np.array(column) for column in zip(*stats))
    count = [bucket.size for bucket in buckets]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.2))
    x = np.arange(len(names))
    ax.errorbar(x, acc, yerr=[acc - low, high - acc], fmt="o", color="C0", capsize=4)
    ax.set_xticks(x, names)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(max(0.0, float(np.nanmin(low)) - 0.04), min(1.0, float(np.nanmax(high)) + 0.04))
    ax.set_xlabel("review length (tokens)")
    ax.set_ylabel("test accuracy (95% interval)")
    for k, (a, top, n) in enumerate(zip(acc, high, count)):
        if n:
            ax.annotate(f"{a:.1%}\nn={n:,}", (k, top), ha="center", va="bottom", fontsize=8, xytext=(0, 3),
                        textcoords="offset points")
    return ax.figure


def plot_paired_differences(rows, *, xlabel="difference in accuracy (percentage points)", ax=None):
    """Each comparison's paired accuracy difference as a dot with its 95% interval as a bar (a forest plot).

    ``rows``: a ``pandas.DataFrame`` indexed by comparison name with columns
    ``difference``, ``low`` and ``high`` (fractions, e.g. from
    :func:`utils.stats.paired_difference`); an optional boolean column
    ``adopted`` colours those rows. The dashed line at zero is "no difference".
    """

    rows = rows.iloc[::-1]  # first row on top
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 0.5 * len(rows) + 1.2))
    y = np.arange(len(rows))
    diff, low, high = (100 * rows[c].to_numpy(dtype=float) for c in ("difference", "low", "high"))
    adopted = rows["adopted"].to_numpy(dtype=bool) if "adopted" in rows else np.zeros(len(rows), bool)
    colors = np.where(adopted, "C2", "C0")
    ax.hlines(y, low, high, colors=colors, lw=2.5)
    ax.scatter(diff, y, color=colors, zorder=3)
    ax.axvline(0.0, color="0.3", lw=1, ls="--")
    for k in range(len(rows)):
        ax.annotate(f"{diff[k]:+.2f} [{low[k]:+.2f}, {high[k]:+.2f}]", (high[k], y[k]), va="center", ha="left",
                    fontsize=8, xytext=(4, 0), textcoords="offset points")
    ax.set_yticks(y, list(rows.index))
    span = max(float(np.max(np.abs(np.concatenate([low, high])))), 0.5)
    ax.set_xlim(-1.15 * span, 1.6 * span)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    return ax.figure


# --- chapter 6: the language model ---


def plot_lm_history(history, *, unigram=None, axes=None):
    """Two panels over tokens read: the training loss (sampled softmax) and the validation perplexity.

    ``history`` is a :class:`utils.lm.LMHistory`; ``unigram`` (optional) draws the
    perplexity of the context-free unigram model as a dashed reference line.
    """

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    tokens = np.asarray(history.tokens) / 1e6
    axes[0].plot(tokens, history.loss, color="C0")
    axes[0].set_xlabel("tokens read (millions)")
    axes[0].set_ylabel("training loss (sampled softmax)")
    axes[1].plot(np.asarray(history.val_tokens) / 1e6, history.val_perplexity, "o-", color="C1",
                 label="LSTM language model")
    values = list(history.val_perplexity)
    if unigram is not None:
        axes[1].axhline(unigram, color="0.4", ls="--", lw=1, label="unigram model (no context)")
        values.append(unigram)
    axes[1].set_yscale("log")
    values = [v for v in values if np.isfinite(v) and v > 0]
    if values:  # room above the unigram line and below the curve
        axes[1].set_ylim(min(values) / 1.25, max(values) * 1.25)
    # Plain numbers (200, 300, 500, 1000) on the log axis, not 3 × 10²; minor ticks at 2, 3 and 5 times a power of 10
    axes[1].yaxis.set_minor_locator(LogLocator(subs=(2.0, 3.0, 5.0)))
    axes[1].yaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
    axes[1].yaxis.set_minor_formatter(StrMethodFormatter("{x:.0f}"))
    axes[1].set_xlabel("tokens read (millions)")
    axes[1].set_ylabel("validation perplexity (full softmax)")
    axes[1].legend(loc="lower left")  # the curve falls from the upper left and the unigram line is at the top
    return axes[0].figure
