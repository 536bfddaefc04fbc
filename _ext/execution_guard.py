"""Make the execution cache know every input of the notebooks, not only their code.

myst-nb caches executed notebooks in ``<path-output>/_build/.jupyter_cache`` and
keys the cache on each notebook's code cells only. The book's numbers depend on
more than that: the shared code in ``utils/``, the installed packages
(``requirements.lock``, ``requirements.txt``), the IMDb archive, and the
environment variables ``BOOK_QUICK`` (quick mode) and ``BOOK_SEED``. Without
this extension, editing ``utils/`` would republish the old numbers and leave
the old trained model in ``models/`` for ``make evaluate`` to check.

Before anything is executed (``config-inited``), this extension

1. refuses ``execute.cache`` in ``_config.yml``: one cache shared by every build
   directory would mix quick and full outputs;
2. refuses a ``BOOK_QUICK=1`` build into the book's main ``_build/`` (quick
   outputs must never reach the published book's cache: use
   ``--path-output _build_quick``, as ``make test`` does);
3. computes a fingerprint of the inputs above (:func:`fingerprint`; the modules of ``utils/`` count by their
   code, so that editing a comment or a docstring keeps the cache) and, when
   it differs from the one recorded beside the cache (``.book_inputs.json``),
   deletes the cache and Sphinx's saved environment (without the latter, Sphinx
   would re-read only the notebooks whose own source changed and republish the
   others' old outputs), so every notebook runs again, and records the new one.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

MAIN_BUILD_DIR = "_build"  # `make book` builds here; its cache is the one to protect
QUICK_BUILD_DIR = "_build_quick"  # `make test` builds the quick book here
RECORD = ".book_inputs.json"
ENVIRONMENT_PICKLE = "environment.pickle"  # Sphinx's saved environment, in the doctree directory
HASHED_FILES = ("requirements.lock", "requirements.txt")
HASHED_DIRS = ("utils",)


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _code(path: Path) -> bytes:
    """What a Python module does, without what it says: its syntax tree without docstrings.

    Comments are not in the tree, and the docstrings of the module, its classes and its functions are dropped, so
    editing either keeps the execution cache, while any change to the code clears it. The tree's dump depends on
    the Python version, so a new Python also runs the notebooks again. A file that does not parse counts by its
    bytes (the notebooks that import it will fail and say why).
    """
    source = path.read_bytes()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def _digest(root: Path) -> str:
    """SHA-256 over the shared code (without comments and docstrings) and the pinned environment."""
    digest = hashlib.sha256()
    files = [root / name for name in HASHED_FILES]
    for folder in HASHED_DIRS:
        files += sorted(p for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if not path.is_file():
            digest.update(b"<missing>")
        else:
            digest.update(_code(path) if path.suffix == ".py" else path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _data_checksum() -> str:
    """SHA-256 of the IMDb archive the data cache was extracted from, without extracting anything."""
    from utils.data import default_data_dir

    source = default_data_dir() / "aclImdb" / "_source.json"
    try:
        return json.loads(source.read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        return "not extracted yet"


def fingerprint(root: str | Path) -> dict:
    """Everything the notebooks' outputs depend on besides their own code."""
    from utils.config import environment_seed, quick_mode

    return {"code_and_packages_sha256": _digest(Path(root)), "data_sha256": _data_checksum(),
            "quick": quick_mode(), "seed": environment_seed()}


def check_build(app: Sphinx, config: Config) -> None:
    """``config-inited`` handler: refuse mixed builds, and clear a cache whose inputs changed."""
    from utils.config import quick_mode

    quick = quick_mode()
    srcdir = Path(app.srcdir).resolve()
    outdir = Path(app.outdir).resolve()
    if getattr(config, "nb_execution_cache_path", ""):
        raise ConfigError(
            "execution_guard: `execute.cache` is set in _config.yml. Remove it: every build directory must keep its "
            "own execution cache (<path-output>/_build/.jupyter_cache), which is what keeps quick-mode "
            "(BOOK_QUICK=1) outputs out of the full book."
        )
    cache = outdir.parent / ".jupyter_cache"  # myst-nb's default when execute.cache is unset
    main_build = srcdir / MAIN_BUILD_DIR
    if quick and (_is_within(outdir, main_build) or _is_within(cache, main_build)):
        raise ConfigError(
            f"execution_guard: BOOK_QUICK=1 but this build writes into {main_build}, the full book's build "
            f"directory: quick-mode outputs would enter its execution cache and a later `make book` would "
            f"publish them. Build the quick book elsewhere: "
            f"`BOOK_QUICK=1 jupyter-book build . --path-output {QUICK_BUILD_DIR}` (what `make test` does), "
            f"or unset BOOK_QUICK to build the full book."
        )
    record = cache.parent / RECORD
    current = fingerprint(srcdir)
    try:
        previous = json.loads(record.read_text(encoding="utf8"))
    except (OSError, ValueError):
        previous = None
    if previous != current:
        if cache.exists():
            changed = sorted(k for k in current if previous is None or previous.get(k) != current[k])
            logger.info(f"execution_guard: the notebooks' inputs changed ({', '.join(changed)}): "
                        f"clearing {cache} so that every notebook runs again")
            shutil.rmtree(cache)
        # Sphinx re-reads only the documents whose source changed and keeps the others' doctrees, outputs
        # included, in its pickled environment. Dropping it makes Sphinx read, and so execute, every notebook.
        # (config-inited runs before Sphinx loads the environment.)
        (Path(app.doctreedir) / ENVIRONMENT_PICKLE).unlink(missing_ok=True)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf8")


def setup(app: Sphinx) -> dict:
    # priority < 500: run before other config-inited handlers, i.e. before any notebook is touched
    app.connect("config-inited", check_build, priority=100)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
