"""The book's settings that come from the environment, read in one place.

===================  ==========================================================
``BOOK_QUICK``       ``1``: quick mode (CI): a data subset and fewer epochs
``BOOK_SEED``        the one seed every random stream of every chapter follows
                     (default :data:`DEFAULT_SEED`)
``IMDB_ARCHIVE``     a local ``aclImdb_v1.tar.gz`` to use instead of downloading
``IMDB_DATA_DIR``    where the archive is extracted and cached (default ``<home>/data``)
``BOOK_MODELS_DIR``  where trained models are saved (default ``<home>/models``)
===================  ==========================================================

``<home>`` is the repository when the package runs from a checkout (``make``,
JupyterLab on the clone), and otherwise the current working directory, i.e.
the folder of the notebook being run (Colab, Binder, ``pip install``): the
package never writes into its own installation folder.

This module imports nothing heavy: the Sphinx extensions and ``make`` read it too.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_SEED", "QUICK_ENV", "SEED_ENV", "book_seed", "environment_seed", "quick_mode", "use_seed",
           "checkout_root", "data_dir", "models_dir"]

QUICK_ENV = "BOOK_QUICK"
SEED_ENV = "BOOK_SEED"
DATA_DIR_ENV = "IMDB_DATA_DIR"
MODELS_DIR_ENV = "BOOK_MODELS_DIR"
DEFAULT_SEED = 42
"""The seed the published book is built with."""

_active_seed: int | None = None  # set by utils.setup(); wins over $BOOK_SEED for helpers called without a seed
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def quick_mode(quick: bool | None = None) -> bool:
    """Resolve the quick-mode flag: an explicit argument wins, else ``$BOOK_QUICK``."""
    if quick is not None:
        return bool(quick)
    raw = os.environ.get(QUICK_ENV, "").strip().lower()
    if raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise ValueError(
        f"{QUICK_ENV}={raw!r} is not understood: use BOOK_QUICK=1 for quick mode or 0 / unset for full mode."
    )


def use_seed(seed: int | None) -> None:
    """Make ``seed`` the default of every helper called without one (``utils.setup`` calls this; None: forget it)."""
    global _active_seed
    _active_seed = None if seed is None else int(seed)


def book_seed(seed: int | None = None) -> int:
    """Resolve a seed: an explicit argument wins, then the seed given to ``utils.setup``, then ``$BOOK_SEED``,
    then :data:`DEFAULT_SEED`."""
    if seed is not None:
        return int(seed)
    if _active_seed is not None:
        return _active_seed
    return environment_seed()


def environment_seed() -> int:
    """``$BOOK_SEED`` (checked), else :data:`DEFAULT_SEED`: the seed a build runs its notebooks with."""
    raw = os.environ.get(SEED_ENV, "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_ENV}={raw!r} is not an integer: set BOOK_SEED=7, say, or unset it for the "
                         f"book's seed ({DEFAULT_SEED}).") from None
    if not 0 <= value < 2**31:
        raise ValueError(f"{SEED_ENV}={value} is out of range: use an integer from 0 to {2**31 - 1}.")
    return value


def checkout_root() -> Path | None:
    """The repository folder if this package runs from a checkout of the book, else ``None``."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "_config.yml").is_file() and (root / "chapters").is_dir() else None


def _home() -> Path:
    return checkout_root() or Path.cwd()


def data_dir() -> Path:
    """``$IMDB_DATA_DIR``, else ``data/`` in the repository (in a checkout) or in the current folder."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else _home() / "data"


def models_dir() -> Path:
    """``$BOOK_MODELS_DIR``, else ``models/`` in the repository (in a checkout) or in the current folder."""
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else _home() / "models"
