"""Shared code for the LSTM sentiment book.

Notebooks import what they need in one line, e.g.::

    from utils import setup, glue, load_imdb, plot_history

Names are resolved lazily (PEP 562), so ``import utils`` itself is cheap and
has no side effects: TensorFlow is imported only when a name that needs it is
first used. Each name lives in a small module split by concern:

==================  ===========================================================
``utils.data``      the IMDb archive: download, checksum, safe extraction, cache
``utils.notebook``  ``setup()``: seeds, quiet TensorFlow, plot style, quick mode
``utils.text``      text standardisation and ``TextVectorization`` builders
``utils.training``  Keras training helpers (compact epoch logging, timing)
``utils.scratch``   the tanh RNN and the LSTM forward pass in plain NumPy
``utils.models``    Keras model builders
``utils.diagrams``  diagrams drawn with matplotlib (the unrolled recurrent layer)
``utils.embeddings`` word vectors from unlabelled reviews (PPMI + SVD)
``utils.inference`` the saved model: atomic save, checked load, ``predict_sentiment``
``utils.gradients`` gradient norm against distance to the output, spectral radius
``utils.tasks``     the synthetic long-lag task and its small models
``utils.plotting``  plots shared by several chapters
==================  ===========================================================

It also re-exports ``np``, ``pd``, ``plt``, ``sns``, ``tf`` and ``keras`` so that a
notebook needs a single import line, and so that TensorFlow is always imported
through :mod:`utils._tf`, which keeps its C++ start-up log out of the book.
"""

from __future__ import annotations

import importlib

# Third-party modules a notebook needs, re-exported so the import line stays one
# line and TensorFlow is always imported through utils._tf (quietly).
_MODULES = {
    "np": "numpy",
    "pd": "pandas",
    "plt": "matplotlib.pyplot",
    "sns": "seaborn",
    "tf": "utils._tf",
    "keras": "utils._tf",
}

# public name -> module that defines it
_EXPORTS = {
    # data
    "load_imdb": "utils.data",
    "dataset_fingerprint": "utils.data",
    "ImdbDataError": "utils.data",
    "SPLITS": "utils.data",
    "train_validation_split": "utils.data",
    # notebook set-up
    "setup": "utils.notebook",
    "BookMode": "utils.notebook",
    "glue": "utils.notebook",
    "glue_markdown": "utils.notebook",
    # text
    "standardize": "utils.text",
    "make_vectorizer": "utils.text",
    "sequence_dataset": "utils.text",
    "padding_fraction": "utils.text",
    "encode_texts": "utils.text",
    # training
    "EpochLogger": "utils.training",
    "timer": "utils.training",
    # plotting
    "plot_history": "utils.plotting",
    "plot_word_heatmap": "utils.plotting",
    "plot_learning_curves": "utils.plotting",  # chapter 02
    "plot_hidden_states": "utils.plotting",  # chapter 02
    "plot_shift_by_distance": "utils.plotting",  # chapter 02
    # --- utils.baselines (chapter 01) ---
    "BASELINES": "utils.baselines",
    "build_bow_baseline": "utils.baselines",
    "fit_baseline": "utils.baselines",
    "BaselineResult": "utils.baselines",
    "predict_baseline": "utils.baselines",
    "evaluate_baseline": "utils.baselines",
    "majority_class_accuracy": "utils.baselines",
    "feature_names": "utils.baselines",
    "plot_rating_distribution": "utils.plotting",  # chapter 01
    "plot_length_distribution": "utils.plotting",  # chapter 01
    "plot_vocabulary_coverage": "utils.plotting",  # chapter 01
    "plot_top_weights": "utils.plotting",  # chapter 01
    # --- utils.scratch (chapters 02 and 04) ---
    "RNNParams": "utils.scratch",
    "LSTMParams": "utils.scratch",
    "rnn_forward": "utils.scratch",
    "lstm_forward": "utils.scratch",
    "lstm_cell": "utils.scratch",  # chapter 04
    "plot_lstm_gates": "utils.plotting",  # chapter 04
    "plot_by_distance": "utils.plotting",  # chapter 04
    "plot_seed_runs": "utils.plotting",  # chapter 04
    "padding_mask": "utils.scratch",
    # --- utils.diagrams (chapter 02) ---
    "draw_unrolled": "utils.diagrams",
    # --- utils.gradients, utils.tasks (chapters 03 and 04) ---
    "spectral_radius": "utils.gradients",
    "spectral_norm": "utils.gradients",
    "set_spectral_radius": "utils.gradients",
    "gradient_norms_by_distance": "utils.gradients",
    "embedding_gradient_norms_by_distance": "utils.gradients",
    "rnn_state_jacobian_norms": "utils.gradients",
    "fit_with_gradient_log": "utils.gradients",
    "LagTask": "utils.tasks",
    "LagRun": "utils.tasks",
    "make_lag_task": "utils.tasks",
    "build_lag_model": "utils.tasks",
    "train_lag_model": "utils.tasks",
    "lag_sweep": "utils.tasks",
    "recurrent_param_count": "utils.tasks",
    "units_for_params": "utils.tasks",
    "plot_training_steps": "utils.plotting",  # chapter 03
    "plot_accuracy_by_lag": "utils.plotting",  # chapter 03
    # models shared by chapters 02-04
    "build_recurrent_classifier": "utils.models",
    # --- utils.models, utils.inference (chapter 05) ---
    "LSTMConfig": "utils.models",
    "train_classifier": "utils.models",
    "BUCKET_BOUNDARIES": "utils.models",
    "MODELS_DIR": "utils.inference",
    "token_ids": "utils.embeddings",
    "plot_ablations": "utils.plotting",  # chapter 05
    "plot_confusion_matrix": "utils.plotting",  # chapter 05
    "plot_accuracy_by_length": "utils.plotting",  # chapter 05
    "build_lstm_classifier": "utils.models",
    "export_text_model": "utils.models",
    "ppmi_svd_embeddings": "utils.embeddings",
    "nearest_words": "utils.embeddings",
    "predict_sentiment": "utils.inference",
    "save_model": "utils.inference",
    "load_model": "utils.inference",
    "read_card": "utils.inference",
}

__all__ = sorted(_EXPORTS) + sorted(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        module = importlib.import_module(_MODULES[name])
        value = getattr(module, name) if name in ("tf", "keras") else module
        globals()[name] = value
        return value
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'utils' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
