"""Keep quick-mode (CI) notebook outputs out of the full book's execution cache.

myst-nb caches executed notebooks in ``<path-output>/_build/.jupyter_cache`` and
keys the cache on the notebooks' code only, not on ``BOOK_QUICK``. A quick-mode
build (``BOOK_QUICK=1``: data subset, fewer epochs) that wrote into the full
book's ``_build/`` would therefore leave quick-mode numbers in the cache, and the
next ``make book`` would publish them as if they were the real results.

This extension stops the build before anything is executed when:

1. ``execute.cache`` is set in ``_config.yml`` (one cache for every build
   directory would mix the modes: each build directory must keep its own);
2. ``BOOK_QUICK=1`` and the build writes into the book's main ``_build/``
   (use ``--path-output _build_quick``, as ``make test`` does);
3. a build directory's cache already holds the other mode's outputs (a marker
   file ``.book_mode`` beside the cache records which mode filled it).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

MAIN_BUILD_DIR = "_build"  # `make book` builds here; its cache is the one to protect
QUICK_BUILD_DIR = "_build_quick"  # `make test` builds the quick book here
MARKER = ".book_mode"


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def check_build_dir(app: Sphinx, config: Config) -> None:
    """``config-inited`` handler: refuse a build that would mix quick and full outputs."""
    from utils.data import quick_mode  # the same reading of $BOOK_QUICK as the notebooks

    quick = quick_mode()
    mode = "quick" if quick else "full"
    srcdir = Path(app.srcdir).resolve()
    outdir = Path(app.outdir).resolve()

    if getattr(config, "nb_execution_cache_path", ""):
        raise ConfigError(
            "quick_mode_guard: `execute.cache` is set in _config.yml. Remove it: every build directory must "
            "keep its own execution cache (<path-output>/_build/.jupyter_cache), which is what keeps "
            "quick-mode (BOOK_QUICK=1) outputs out of the full book."
        )
    cache = outdir.parent / ".jupyter_cache"  # myst-nb's default when execute.cache is unset

    main_build = srcdir / MAIN_BUILD_DIR
    if quick and (_is_within(outdir, main_build) or _is_within(cache, main_build)):
        raise ConfigError(
            f"quick_mode_guard: BOOK_QUICK=1 but this build writes into {main_build}, the full book's build "
            f"directory: quick-mode outputs would enter its execution cache and a later `make book` would "
            f"publish them. Build the quick book elsewhere: "
            f"`BOOK_QUICK=1 jupyter-book build . --path-output {QUICK_BUILD_DIR}` (what `make test` does), "
            f"or unset BOOK_QUICK to build the full book."
        )

    marker = cache.parent / MARKER
    if marker.is_file():
        previous = marker.read_text(encoding="utf8").strip()
        if previous != mode:
            raise ConfigError(
                f"quick_mode_guard: {cache.parent} holds {previous}-mode notebook outputs, and this is a "
                f"{mode}-mode build (BOOK_QUICK={'1' if quick else '0'}). The execution cache does not know the "
                f"mode, so it would reuse them. Use another --path-output, or delete {cache.parent} first."
            )
    else:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(mode + "\n", encoding="utf8")


def setup(app: Sphinx) -> dict:
    # priority < 500: run before other config-inited handlers, i.e. before any notebook is touched
    app.connect("config-inited", check_build_dir, priority=100)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
