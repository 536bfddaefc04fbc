"""Shared code for the LSTM sentiment book.

Notebooks use it the way d2l uses ``d2l``: one import, a short prefix::

    import utils as book
    from utils import keras, np, pd, plt, tf   # the usual libraries; TensorFlow imported quietly

    mode = book.setup()
    train = book.load_imdb("train")

Each public name lives in a small module split by concern, and each module
lists its public names in ``__all__``: that list is the one source of truth.
This file reads the lists without importing the modules (it parses their
source), so ``import utils`` is cheap and has no side effects; a module, and
TensorFlow with it, is imported the first time one of its names is used
(PEP 562).

==================  ===========================================================
``utils.config``    settings from the environment: ``BOOK_SEED``, ``BOOK_QUICK``
``utils.data``      the IMDb archive: download, checksum, safe extraction, cache,
                    movie ids, the movie-grouped validation split
``utils.notebook``  ``setup()``: seeds, quiet TensorFlow, plot style; glue helpers
``utils.text``      text standardisation, vectorisers, bucketed ``tf.data`` pipelines
``utils.training``  Keras training helpers (compact epoch logging, timing)
``utils.scratch``   the tanh RNN and the LSTM forward pass in plain NumPy
``utils.checks``    the NumPy layers against their Keras twins, same weights
``utils.gradients`` gradient norm against distance to the output, spectral radius
``utils.tasks``     the synthetic long-lag task and its small models
``utils.models``    Keras model builders and the classifier's training loop
``utils.embeddings`` word vectors from unlabelled reviews (PPMI + SVD)
``utils.baselines`` the order-blind bag-of-words baselines
``utils.stats``     paired comparisons of classifiers: McNemar, intervals
``utils.lm``        the LSTM language model: token streams, truncated BPTT, fine-tuning
``utils.inference`` the saved model: atomic save, checked load, ``predict_sentiment``
``utils.diagrams``  diagrams drawn with matplotlib (unrolled RNN, LSTM cell)
``utils.plotting``  the book's plots
==================  ===========================================================

``np``, ``pd``, ``plt``, ``sns``, ``tf`` and ``keras`` are re-exported so that
TensorFlow is always imported through :mod:`utils._tf`, which keeps its C++
start-up log out of the book.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

MODULES = ("config", "data", "notebook", "text", "training", "scratch", "checks", "gradients", "tasks", "models",
           "embeddings", "baselines", "stats", "lm", "inference", "diagrams", "plotting")
"""The modules whose ``__all__`` make up the public names of ``utils``."""

# Third-party modules a notebook needs, re-exported so TensorFlow is always imported through utils._tf (quietly).
_LIBRARIES = {"np": "numpy", "pd": "pandas", "plt": "matplotlib.pyplot", "sns": "seaborn", "tf": "utils._tf",
              "keras": "utils._tf"}


def public_names(module: str) -> list[str]:
    """``utils.<module>.__all__``, read from the source without importing the module."""
    path = Path(__file__).with_name(f"{module}.py")
    if not path.is_file():
        return []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise ImportError(f"utils/{module}.py has no literal __all__ list")


def _exports() -> dict[str, str]:
    table: dict[str, str] = {}
    for module in MODULES:
        for name in public_names(module):
            if name in table:
                raise ImportError(f"utils.{module} and {table[name]} both export {name!r}")
            table[name] = f"utils.{module}"
    return table


_EXPORTS = _exports()

__all__ = sorted(_EXPORTS) + sorted(_LIBRARIES)


def __getattr__(name: str):
    if name in _LIBRARIES:
        module = importlib.import_module(_LIBRARIES[name])
        value = getattr(module, name) if name in ("tf", "keras") else module
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'utils' has no attribute {name!r}")
    globals()[name] = value  # cache: later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
