"""The book's configuration: table of contents, offline math, the quick-mode cache guard, the landing page.

The rendered result is checked in a real browser by ``tests/test_browser.py``;
these tests check, without building the book, the promises that make it work:
every chapter numbered, no CDN in the configuration, MathJax served from the
book's own files (with its fonts), quick-mode outputs kept out of the full book's
execution cache, exercises at the end of every chapter.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
CHAPTER_FILES = [
    "chapters/01_sequential_data",
    "chapters/02_rnn_from_scratch",
    "chapters/03_vanishing_gradients",
    "chapters/04_lstm",
    "chapters/05_imdb_classifier",
    "chapters/06_language_model",
]
EXISTING_CHAPTERS = [ROOT / f"{name}.ipynb" for name in CHAPTER_FILES if (ROOT / f"{name}.ipynb").is_file()]

sys.path.insert(0, str(ROOT / "_ext"))
import bibliography_style  # noqa: E402
import execution_guard  # noqa: E402
import inline_script_dedupe  # noqa: E402
import partial_toc  # noqa: E402

# ----------------------------------------------------------------------------- table of contents


def test_toc_numbers_the_chapters_and_ends_with_the_bibliography():
    assert TOC["format"] == "jb-book" and TOC["root"] == "intro"
    parts = TOC["parts"]
    chapters = [p for p in parts if any(e["file"].startswith("chapters/") for e in p["chapters"])]
    assert len(chapters) == 1, "all chapters belong in one numbered part"
    assert chapters[0].get("numbered") is True, "the chapters part must be `numbered: true`"
    assert [e["file"] for e in chapters[0]["chapters"]] == CHAPTER_FILES
    assert parts[-1]["chapters"][-1]["file"] == "references"
    assert "{bibliography}" in (ROOT / "references.md").read_text(encoding="utf8")


@pytest.mark.parametrize("path", EXISTING_CHAPTERS, ids=lambda p: p.name)
def test_exercises_close_the_chapter(path):
    """`## Exercises` is the last section of every chapter (that each solution is a dropdown: test_notebooks.py)."""
    nb = json.loads(path.read_text(encoding="utf8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    sections = re.findall(r"^## (.+)$", markdown, re.M)
    assert sections and sections[-1].strip() == "Exercises", f"{path.name}: last section is {sections[-1:]}"


# ----------------------------------------------------------------------------- nothing from a CDN

ALLOWED_URLS = {  # links a reader may click; nothing is loaded from them to display a page
    ("repository", "url"),
    ("launch_buttons", "binderhub_url"),
    ("launch_buttons", "colab_url"),
}


def _strings(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, path)
    elif isinstance(node, str):
        yield path, node


def test_no_outside_url_in_the_config_except_links():
    outside = [
        (path, s) for path, s in _strings(CONFIG) if re.search(r"https?://|//cdn", s) and path not in ALLOWED_URLS
    ]
    assert not outside, f"_config.yml loads something from another host: {outside}"
    assert not (ROOT / "_static").exists() or not any(
        re.search(r"https?://", p.read_text(encoding="utf8", errors="ignore"))
        for p in (ROOT / "_static").rglob("*")
        if p.suffix in {".js", ".css", ".html"}
    ), "_static/ refers to another host"


def test_mathjax_comes_from_the_book_not_a_cdn():
    extensions = CONFIG["sphinx"]["extra_extensions"]
    assert "sphinx-mathjax-offline" in extensions
    sphinx_config = CONFIG["sphinx"].get("config", {})
    assert not any(k.startswith("mathjax") and k != "mathjax3_config" for k in sphinx_config), (
        "do not set mathjax_path/options in _config.yml: sphinx-mathjax-offline sets mathjax_path"
    )
    # the registry package ships MathJax 3 with the CHTML fonts the offline page needs
    package = Path(importlib.import_module("sphinx-mathjax-offline").__file__).parent / "static" / "mathjax"
    assert (package / "tex-chtml.js").is_file()
    fonts = list((package / "output" / "chtml" / "fonts" / "woff-v2").glob("MathJax_*.woff"))
    assert any(f.name == "MathJax_Main-Regular.woff" for f in fonts) and len(fonts) >= 20


def test_mathjax_offline_overrides_even_an_explicit_cdn_path(tmp_path):
    app = _sphinx(tmp_path, tmp_path / "out", ["sphinx-mathjax-offline"],
                  mathjax_path="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    assert app.config.mathjax_path == "mathjax/tex-chtml.js"  # relative: served from _static/


def test_theme_mode_is_set():
    """pydata-sphinx-theme logs "Got invalid theme mode" in the console when default_mode is empty."""
    assert CONFIG["sphinx"]["config"]["html_context"]["default_mode"] in {"light", "dark", "auto"}


# ----------------------------------------------------------------------------- quick-mode cache guard


def test_execution_cache_follows_the_build_directory():
    assert "cache" not in CONFIG.get("execute", {}), "execute.cache must stay unset (see _ext/execution_guard.py)"
    assert CONFIG["sphinx"]["local_extensions"]["execution_guard"] == "_ext"
    assert CONFIG["sphinx"]["local_extensions"]["partial_toc"] == "_ext"


def _sphinx(srcdir: Path, outdir: Path, extensions: list[str], **overrides):
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    srcdir.mkdir(parents=True, exist_ok=True)
    with docutils_namespace():
        return Sphinx(
            srcdir=str(srcdir), confdir=None, outdir=str(outdir), doctreedir=str(outdir.parent / ".doctrees"),
            buildername="html", confoverrides={"extensions": extensions, **overrides}, status=None, warning=None,
        )


def _guarded(book: Path, outdir: Path, **overrides):
    return _sphinx(book, outdir, ["execution_guard"], **overrides)


@pytest.fixture
def book_env(tmp_path, monkeypatch):
    """A book directory with its own utils/ and lock file, and a data directory with an extraction record."""
    book = tmp_path / "book"
    (book / "utils").mkdir(parents=True)
    (book / "utils" / "data.py").write_text("X = 1\n")
    (book / "requirements.lock").write_text("numpy==2.4.6\n")
    (book / "requirements.txt").write_text("numpy\n")
    data = tmp_path / "data"
    (data / "aclImdb").mkdir(parents=True)
    (data / "aclImdb" / "_source.json").write_text(json.dumps({"sha256": "a" * 64}))
    monkeypatch.setenv("IMDB_DATA_DIR", str(data))
    for var in ("BOOK_QUICK", "BOOK_SEED"):
        monkeypatch.delenv(var, raising=False)
    return book


def _fill_cache(outdir: Path) -> Path:
    cache = outdir.parent / ".jupyter_cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "executed.marker").write_text("outputs of an earlier build")
    return cache


def test_guard_refuses_a_quick_build_into_the_main_build_dir(book_env, monkeypatch):
    from sphinx.errors import ConfigError

    monkeypatch.setenv("BOOK_QUICK", "1")
    with pytest.raises(ConfigError, match=r"BOOK_QUICK=1.*_build_quick"):
        _guarded(book_env, book_env / "_build" / "html")
    assert not (book_env / "_build" / execution_guard.RECORD).exists()


def test_guard_lets_quick_and_full_builds_use_their_own_dirs(book_env, monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "1")
    _guarded(book_env, book_env / "_build_quick" / "_build" / "html")
    assert json.loads((book_env / "_build_quick" / "_build" / execution_guard.RECORD).read_text())["quick"] is True
    monkeypatch.setenv("BOOK_QUICK", "0")
    _guarded(book_env, book_env / "_build" / "html")
    assert json.loads((book_env / "_build" / execution_guard.RECORD).read_text())["quick"] is False


def test_guard_keeps_the_cache_when_nothing_changed(book_env):
    outdir = book_env / "_build" / "html"
    _guarded(book_env, outdir)
    cache = _fill_cache(outdir)
    pickle = outdir.parent / ".doctrees" / execution_guard.ENVIRONMENT_PICKLE
    pickle.parent.mkdir(parents=True, exist_ok=True)
    pickle.write_text("doctrees of an earlier build")
    _guarded(book_env, outdir)
    assert (cache / "executed.marker").is_file()
    assert pickle.read_text() == "doctrees of an earlier build"


@pytest.mark.parametrize("change", ["utils", "new module", "lock", "requirements", "data", "seed", "quick"])
def test_guard_clears_the_cache_when_an_input_changes(book_env, monkeypatch, change):
    outdir = book_env / "private" / "_build" / "html"  # not _build/, so a quick build is allowed here
    _guarded(book_env, outdir)
    cache = _fill_cache(outdir)
    if change == "utils":
        (book_env / "utils" / "data.py").write_text("X = 2\n")
    elif change == "new module":
        (book_env / "utils" / "lm.py").write_text("Y = 1\n")
    elif change == "lock":
        (book_env / "requirements.lock").write_text("numpy==2.4.7\n")
    elif change == "requirements":
        (book_env / "requirements.txt").write_text("numpy\npandas\n")
    elif change == "data":
        data = Path(os.environ["IMDB_DATA_DIR"]) / "aclImdb" / "_source.json"
        data.write_text(json.dumps({"sha256": "b" * 64}))
    elif change == "seed":
        monkeypatch.setenv("BOOK_SEED", "7")
    else:
        monkeypatch.setenv("BOOK_QUICK", "1")
    before = json.loads((outdir.parent / execution_guard.RECORD).read_text())
    pickle = outdir.parent / ".doctrees" / execution_guard.ENVIRONMENT_PICKLE
    pickle.parent.mkdir(parents=True, exist_ok=True)
    pickle.write_text("doctrees of an earlier build")
    _guarded(book_env, outdir)
    assert not cache.exists(), f"a change of {change} must clear the execution cache"
    assert not pickle.exists(), "Sphinx must read every notebook again, not only those whose source changed"
    after = json.loads((outdir.parent / execution_guard.RECORD).read_text())
    assert after != before
    _fill_cache(outdir)
    _guarded(book_env, outdir)  # the new inputs are recorded: the next build keeps the cache
    assert (cache / "executed.marker").is_file()


@pytest.mark.parametrize("edit", ["comment", "docstring", "blank lines"])
def test_fingerprint_ignores_what_the_code_says_about_itself(book_env, edit):
    module = book_env / "utils" / "data.py"
    module.write_text('"""Data."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n')
    first = execution_guard.fingerprint(book_env)
    if edit == "comment":
        module.write_text('"""Data."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # times two\n')
    elif edit == "docstring":
        module.write_text('"""The data."""\n\n\ndef f(x):\n    """x, doubled."""\n    return 2 * x  # doubled\n')
    else:
        module.write_text('"""Data."""\n\ndef f(x):\n\n    """Twice x."""\n    return 2 * x  # doubled\n')
    assert execution_guard.fingerprint(book_env) == first
    module.write_text('"""Data."""\n\n\ndef f(x):\n    """Twice x."""\n    return 3 * x  # doubled\n')
    assert execution_guard.fingerprint(book_env) != first, "a change of code must change the fingerprint"


def test_fingerprint_keeps_a_string_that_is_code(book_env):
    module = book_env / "utils" / "data.py"
    module.write_text('X = 1\n"a string statement, not a docstring"\n')
    first = execution_guard.fingerprint(book_env)
    module.write_text('X = 1\n"another string statement"\n')
    assert execution_guard.fingerprint(book_env) != first
    module.write_text("def broken(:\n")  # unparsable: counted by its bytes
    broken = execution_guard.fingerprint(book_env)
    module.write_text("def broken( :\n")
    assert execution_guard.fingerprint(book_env) != broken


def test_fingerprint_ignores_bytecode_caches(book_env):
    first = execution_guard.fingerprint(book_env)
    (book_env / "utils" / "__pycache__").mkdir()
    (book_env / "utils" / "__pycache__" / "data.cpython-311.py").write_text("junk")
    assert execution_guard.fingerprint(book_env) == first


def test_guard_refuses_a_shared_execution_cache(tmp_path, monkeypatch):
    from sphinx.errors import ConfigError

    monkeypatch.setenv("BOOK_QUICK", "0")
    with pytest.raises(ConfigError, match="execute.cache"):
        _sphinx(tmp_path, tmp_path / "_build" / "html", ["myst_nb", "execution_guard"],
                nb_execution_cache_path=str(tmp_path / "shared_cache"))


def test_guard_stops_jupyter_book_with_this_config(tmp_path):
    """End to end: the real _config.yml wires the guard in, and `jupyter-book build` fails before executing."""
    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book / name)
    shutil.copytree(ROOT / "_ext", book / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n", encoding="utf8")
    (book / "intro.md").write_text("# Guard test\n\nNothing to execute.\n", encoding="utf8")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    env = {**os.environ, "BOOK_QUICK": "1"}
    result = subprocess.run([str(jupyter_book), "build", str(book), "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, env=env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "execution_guard: BOOK_QUICK=1" in output, output[-2000:]
    assert not (book / "_build" / "html" / "intro.html").exists()


# ----------------------------------------------------------------------------- landing page and small fixes


def test_landing_page_glues_numbers_from_the_chapters():
    intro = (ROOT / "intro.md").read_text(encoding="utf8")
    refs = re.findall(r"\{glue:text\}`([\w/.-]+\.ipynb)::(\w+)", intro)
    assert refs, "intro.md pastes no number from a chapter"
    toc_files = [e["file"] for p in TOC["parts"] for e in p["chapters"]]
    for notebook, _key in refs:
        assert notebook.removesuffix(".ipynb") in toc_files
    for term in ("make book", "make test", "make lab", "IMDB_ARCHIVE"):
        assert term in intro, f"intro.md does not say how to use `{term}`"
    assert ("chapters/05_imdb_classifier.ipynb", "lstm_test_acc") in refs, "intro.md must paste the final accuracy"
    linked = re.findall(r"\{doc\}`([^`]+)`", intro)
    assert [d for d in linked if d.startswith("chapters/")] == CHAPTER_FILES, "intro.md links every chapter in order"


def _fake_app(toc: str, found: set[str]):
    config = SimpleNamespace(root_doc="intro", external_toc_path=toc, source_suffix={".md": "", ".ipynb": ""})
    return SimpleNamespace(config=config, srcdir=str(ROOT), env=SimpleNamespace(found_docs=found))


INTRO_SAMPLE = (
    "| 1. {doc}`chapters/01_sequential_data` | 5. {doc}`chapters/05_imdb_classifier` |\n"
    "reaches {glue:text}`chapters/05_imdb_classifier.ipynb::lstm_test_acc:.1%` against "
    "{glue:text}`chapters/01_sequential_data.ipynb::tfidf_bigram_test_acc:.1%`"
)


def test_a_private_toc_softens_only_the_landing_pages_refs_to_chapters_not_built(tmp_path):
    partial = _fake_app(str(tmp_path / "my_toc.yml"), {"intro", "chapters/01_sequential_data"})
    assert partial_toc.is_partial_build(partial)
    source = [INTRO_SAMPLE]
    partial_toc.soften_missing_refs(partial, "intro", source)
    assert "{doc}`chapters/01_sequential_data`" in source[0]
    assert "tfidf_bigram_test_acc" in source[0]
    assert "not in this build" in source[0]
    assert "{glue:text}`chapters/05" not in source[0] and "{doc}`chapters/05" not in source[0]
    other_page = [INTRO_SAMPLE]
    partial_toc.soften_missing_refs(partial, "chapters/01_sequential_data", other_page)
    assert other_page == [INTRO_SAMPLE]


def test_the_books_own_toc_keeps_every_landing_page_ref_strict():
    for toc in ("_toc.yml", str(ROOT / "_toc.yml")):
        book = _fake_app(toc, {"intro"})
        assert not partial_toc.is_partial_build(book)
        source = [INTRO_SAMPLE]
        partial_toc.soften_missing_refs(book, "intro", source)
        assert source == [INTRO_SAMPLE]


def test_inline_scripts_are_emitted_once():
    from sphinx.builders.html._assets import _JavaScript

    scripts = [
        _JavaScript("_static/a.js"),
        _JavaScript("", body="const X = 1"),
        _JavaScript("_static/b.js"),
        _JavaScript(None, body="const X = 1"),  # the Sphinx 7.4 duplicate
        _JavaScript("", body="const Y = 2"),
    ]
    same_list = scripts
    inline_script_dedupe.drop_repeated_inline_scripts(None, "p", "page.html", {"script_files": scripts}, None)
    assert scripts is same_list
    assert [(s.filename, s.attributes.get("body")) for s in scripts] == [
        ("_static/a.js", None), ("", "const X = 1"), ("_static/b.js", None), ("", "const Y = 2")]


# ----------------------------------------------------------------------------- Colab, Binder, one repository URL


def test_launch_buttons_for_binder_and_colab():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"


def test_binder_environment_is_light_python_311_and_quick():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    packages = [line.split("==")[0].strip() for line in requirements.splitlines() if line and not line.startswith("#")]
    assert "." in packages and "tensorflow" in packages
    assert not {"jupyter-book", "playwright", "nbmake", "pytest"} & set(packages)
    lock = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    for line in requirements.splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            assert lock.get(name) == version, f"binder pins {name}=={version}, the lock file {lock.get(name)}"
    start = (ROOT / "binder" / "start").read_text()
    assert 'BOOK_QUICK="${BOOK_QUICK:-1}"' in start and os.access(ROOT / "binder" / "start", os.X_OK)


def test_the_repository_url_is_one_setting():
    url = CONFIG["repository"]["url"]
    for path in [ROOT / "pyproject.toml", ROOT / "README.md", *EXISTING_CHAPTERS]:
        text = path.read_text(encoding="utf8")
        for found in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text):
            assert found == url, f"{path.name} names {found}; _config.yml's repository.url is {url}"


def test_python_versions_agree():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject
    assert "(3, 11)" in (ROOT / "Makefile").read_text()


def test_bibliography_is_alphabetical_and_labelled_like_the_citations():
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    assert "authoryear" in (ROOT / "references.md").read_text()
    assert CONFIG["sphinx"]["local_extensions"]["bibliography_style"] == "_ext"
    bib = parse_file(str(ROOT / "references.bib"))
    style = find_plugin("pybtex.style.formatting", "authoryear")()
    formatted = list(style.format_entries(bib.entries.values()))
    labels = {entry.key: entry.label for entry in formatted}
    assert labels["maas2011learning"] == "Maas et al., 2011"
    assert labels["hochreiter1997long"] == "Hochreiter and Schmidhuber, 1997"
    assert labels["elman1990finding"] == "Elman, 1990"
    assert labels["gers2000recurrent"] == "Gers and Schmidhuber, 2000"
    assert len(set(labels.values())) == len(labels), "every label must name one work"
    surnames = [bibliography_style.author_year_label(bib.entries[e.key]).split(" ")[0].strip(",").lower()
                for e in formatted]
    assert surnames == sorted(surnames), "entries must be sorted by author"
    cited = set()
    for path in [*sorted((ROOT / "chapters").glob("*.ipynb")), ROOT / "intro.md"]:
        for keys in re.findall(r"\{cite[:a-z]*\}`([^`]+)`", path.read_text()):
            cited.update(k.strip() for k in keys.split(","))
    assert cited <= set(bib.entries), f"cited but not in references.bib: {sorted(cited - set(bib.entries))}"


def test_markdown_is_glued_only_within_its_own_page():
    # myst-nb's {glue:md} reads the current page's glue data only; {glue:text} can name another page (path::key)
    for path in [ROOT / "intro.md", *sorted((ROOT / "chapters").glob("*.ipynb"))]:
        for ref in re.findall(r"\{glue:md\}`([^`]+)`", path.read_text()):
            assert "::" not in ref, f"{path.name}: {{glue:md}}`{ref}` cannot read another page's glue data"
