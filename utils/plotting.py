"""Plots used by several chapters. Each returns the matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt


def plot_history(history, metrics=("loss", "accuracy"), title: str | None = None):
    """Training and validation curves of a Keras ``History`` (or its ``.history`` dict).

    One panel per metric; validation curves are drawn when present
    (``val_<metric>``). Epochs are numbered from 1.
    """
    logs = getattr(history, "history", history)
    metrics = [m for m in metrics if m in logs]
    if not metrics:
        raise ValueError(f"none of the metrics are in the history; it has {sorted(logs)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        epochs = range(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], marker="o", label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_xticks(list(epochs))
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_word_heatmap(values, words, *, ax=None, title=None, cmap="RdBu_r", center=0.0, vmin=None, vmax=None,
                      ylabel="unit", cbar_label=None, max_units=None):
    """Heatmap of ``values`` (``(units, time)``) with one word under each time step.

    Used for hidden states (chapter 2) and gate activations (chapter 4).
    Pass ``center=None`` with ``cmap="viridis"`` for values in ``[0, 1]`` such as gates.
    """
    import numpy as np
    import seaborn as sns

    values = np.asarray(values)
    if values.ndim != 2 or values.shape[1] != len(words):
        raise ValueError(f"values must be (units, {len(words)}) to match the words, got {values.shape}")
    if max_units is not None:
        values = values[:max_units]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.32 * len(words) + 1.5), max(2.2, 0.18 * values.shape[0] + 1.2)))
    sns.heatmap(values, ax=ax, cmap=cmap, center=center, vmin=vmin, vmax=vmax, xticklabels=list(words),
                yticklabels=False, cbar_kws={"label": cbar_label} if cbar_label else None)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax.figure
