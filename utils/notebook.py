"""One call at the top of every notebook: seeds, quiet TensorFlow, one plot style.

Usage (first code cell of a chapter)::

    import utils as book
    mode = book.setup()         # seeds everything from $BOOK_SEED, prints one status line
    epochs = mode.pick(full=4, quick=1)

``mode.quick`` is ``True`` when the notebook runs under ``BOOK_QUICK=1`` (CI):
quick mode only shrinks the work (data subset, fewer epochs). Assertions about
correctness must not depend on it. ``mode.seed`` is ``$BOOK_SEED`` (default 42):
every random stream of a chapter follows it, so the book can be rebuilt at
another seed to see which of its statements depend on luck.
"""

from __future__ import annotations

import logging
import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from typing import TypeVar

from utils import config
from utils.config import quick_mode

__all__ = ["BookMode", "glue", "glue_markdown", "glue_paired", "setup", "spoken_list"]

T = TypeVar("T")


@dataclass(frozen=True)
class BookMode:
    """What :func:`setup` decided: the seed and whether this is a quick run (and when it started)."""

    seed: int
    quick: bool
    started: float = field(default_factory=time.perf_counter, compare=False)

    def minutes(self) -> float:
        """Minutes since :func:`setup` was called (a chapter's run time, for the book's Setup sections)."""
        return (time.perf_counter() - self.started) / 60

    @staticmethod
    def peak_memory_gb() -> float | None:
        """Peak resident memory of this process so far, in GB (10^9 bytes); ``None`` where it cannot be read.

        It is the kernel's high-water mark (``VmHWM`` on Linux, read through ``getrusage``), so a chapter
        that calls it last reports the most memory it ever held: what its budget is about. The mark belongs to
        the process, not to the notebook: in a kernel that ran another notebook before (``%run``, or a reused
        kernel) it includes that notebook's peak. ``make book`` starts a fresh kernel for each notebook.
        """
        try:
            import resource
        except ImportError:  # Windows
            return None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak * (1 if platform.system() == "Darwin" else 1024) / 1e9  # bytes on macOS, kibibytes elsewhere

    def conditions(self) -> str:
        """How this run was made, for the Setup sections: e.g. ``"full mode, 2 CPU cores"``."""
        from utils._tf import tf

        mode = "quick mode" if self.quick else "full mode"
        gpus = len(tf.config.list_physical_devices("GPU"))
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        devices = f"{cores} CPU core{'s' if cores != 1 else ''}"
        return f"{mode}, {devices}" + (f" and {gpus} GPU{'s' if gpus > 1 else ''}" if gpus else "")

    def pick(self, *, full: T, quick: T) -> T:
        """``quick`` in quick mode, ``full`` otherwise."""
        return quick if self.quick else full

    @staticmethod
    def versions() -> dict:
        """Versions of Python and the libraries that determine the book's numbers."""
        import matplotlib
        import numpy
        import pandas

        from utils._tf import keras, tf

        return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                "numpy": numpy.__version__, "pandas": pandas.__version__, "matplotlib": matplotlib.__version__}


def set_plot_style() -> None:
    """The book's single matplotlib/seaborn look."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "figure.figsize": (7.0, 3.6),
            "figure.autolayout": True,
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "legend.frameon": False,
        }
    )


def quiet_tensorflow() -> None:
    """Silence TensorFlow/Keras Python-side logging and known-harmless warnings."""
    from utils._tf import tf  # noqa: F401  (imports TF with the C++ log silenced)

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        pass
    # Keras 3 warns on every `fit(dataset)` that its default `shuffle=True` does not apply to a
    # tf.data.Dataset. The book's datasets shuffle themselves (utils.text.sequence_dataset), so the
    # warning is not actionable for a reader; only this exact message is silenced.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored", category=UserWarning)


def set_seeds(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow ops deterministic."""
    from utils._tf import keras, tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # random, numpy.random and the backend
    tf.config.experimental.enable_op_determinism()


def setup(seed: int | None = None, *, quick: bool | None = None, verbose: bool = True) -> BookMode:
    """Prepare a notebook: seeds, deterministic ops, quiet TensorFlow, plot style.

    Call it once, in the first code cell. ``seed`` defaults to ``$BOOK_SEED``
    (or 42, :data:`utils.config.DEFAULT_SEED`); ``quick`` to ``$BOOK_QUICK``.
    Returns a :class:`BookMode`.
    """
    config.use_seed(None)  # a new notebook session: the seed comes from the argument or $BOOK_SEED
    seed = config.book_seed(seed)
    config.use_seed(seed)  # helpers called without a seed (utils.config.book_seed) now follow this one
    mode = BookMode(seed=seed, quick=quick_mode(quick))
    quiet_tensorflow()
    set_seeds(seed)
    set_plot_style()
    if verbose:
        from utils._tf import keras, tf

        what = "QUICK MODE (BOOK_QUICK=1): data subset, fewer epochs" if mode.quick else "full mode"
        device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        print(
            f"{what} | seed {seed} | TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"Python {platform.python_version()} on {device}"
        )
    return mode


def glue(name: str, value, display: bool = False):
    """Record ``value`` under ``name`` for the book's prose (myst-nb ``glue``).

    Prose then shows it with ``{glue:text}`name:.1%``` and the number is never
    typed by hand. ``display=False`` keeps the value out of the cell output.
    Without myst-nb (Colab, Binder, a plain ``pip install``) there is no book to
    glue into: the name and value are printed instead, so the cell still
    shows what the book would say.
    """
    import numpy as np

    if isinstance(value, np.generic):  # NumPy 2 scalars repr as "np.float64(0.5)", which glue cannot format
        value = value.item()
    try:
        from myst_nb import glue as _glue
    except ImportError:
        shown = getattr(value, "data", value)  # Markdown objects: their text
        if isinstance(shown, bool) or not isinstance(shown, (int, float)):
            print(f"{name}: {shown}")
        else:
            print(f"{name}: {shown:,}" if isinstance(shown, int) else f"{name}: {shown:.4g}")
        return None
    return _glue(name, value, display=display)


def glue_markdown(name: str, text: str, display: bool = False):
    """Glue a short piece of *text* (not a number), shown in prose with ``{glue:md}`name```.

    Plain strings glued with :func:`glue` render with quotes (their ``repr``);
    this stores them as Markdown instead.
    """
    from IPython.display import Markdown

    return glue(name, Markdown(text), display=display)


def glue_paired(key: str, difference, test, a: str, b: str) -> None:
    """Glue one paired comparison of ``a`` with ``b`` for the prose, under four names derived from ``key``.

    ``key`` names the difference and must contain ``_minus_`` (e.g. ``"ft_minus_bigrams_val"``):
    ``key``, ``key_low`` and ``key_high`` get the difference and its 95% interval
    (:func:`utils.stats.paired_difference`), and ``key`` with ``_minus_`` replaced by ``_vs_``
    gets the clause of :func:`utils.stats.describe_comparison` (Markdown) that says what the
    difference and McNemar's ``test`` show. One call keeps the four in step.
    """
    from utils.stats import describe_comparison

    if "_minus_" not in key:
        raise ValueError(f"glue_paired: key {key!r} must contain '_minus_' (its verdict is glued under '_vs_')")
    glue(key, difference.difference)
    glue(f"{key}_low", difference.low)
    glue(f"{key}_high", difference.high)
    glue_markdown(key.replace("_minus_", "_vs_", 1), describe_comparison(difference, test, a, b))


def spoken_list(items) -> str:
    """Items joined as prose, for generated sentences: ``[1, 8, 64]`` -> ``"1, 8 and 64"``.

    One item is returned as it is; an empty list is an error (a generated
    sentence about nothing would read as if something were named).
    """
    words = [str(item) for item in items]
    if not words:
        raise ValueError("spoken_list needs at least one item")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
