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
]
EXISTING_CHAPTERS = [ROOT / f"{name}.ipynb" for name in CHAPTER_FILES if (ROOT / f"{name}.ipynb").is_file()]

sys.path.insert(0, str(ROOT / "_ext"))
import inline_script_dedupe  # noqa: E402
import partial_toc  # noqa: E402
import quick_mode_guard  # noqa: E402


# ----------------------------------------------------------------------------- table of contents


def test_toc_numbers_the_five_chapters_and_ends_with_the_bibliography():
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
    """`## Exercises` is the last section of every chapter, and no solution is left visible."""
    nb = json.loads(path.read_text(encoding="utf8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    sections = re.findall(r"^## (.+)$", markdown, re.M)
    assert sections and sections[-1].strip() == "Exercises", f"{path.name}: last section is {sections[-1:]}"
    solutions = re.findall(r"^(?::{3,}|`{3,})\{solution\}.*\n((?::[\w-]+:.*\n)*)", markdown, re.M)
    assert solutions, f"{path.name} has no solution"
    for options in solutions:
        assert re.search(r":class:.*\bdropdown\b", options), f"{path.name}: a solution without `:class: dropdown`"


# ----------------------------------------------------------------------------- nothing from a CDN

ALLOWED_URLS = {  # links a reader may click; nothing is loaded from them to display a page
    ("repository", "url"),
    ("launch_buttons", "binderhub_url"),
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
    outside = [(path, s) for path, s in _strings(CONFIG) if re.search(r"https?://|//cdn", s) and path not in ALLOWED_URLS]
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
    assert "cache" not in CONFIG.get("execute", {}), "execute.cache must stay unset (see _ext/quick_mode_guard.py)"
    assert CONFIG["sphinx"]["local_extensions"]["quick_mode_guard"] == "_ext"
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
    return _sphinx(book, outdir, ["quick_mode_guard"], **overrides)


def test_guard_refuses_a_quick_build_into_the_main_build_dir(tmp_path, monkeypatch):
    from sphinx.errors import ConfigError

    monkeypatch.setenv("BOOK_QUICK", "1")
    with pytest.raises(ConfigError, match=r"BOOK_QUICK=1.*_build_quick"):
        _guarded(tmp_path, tmp_path / "_build" / "html")
    assert not (tmp_path / "_build" / ".book_mode").exists()


def test_guard_lets_quick_and_full_builds_use_their_own_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_QUICK", "1")
    _guarded(tmp_path, tmp_path / "_build_quick" / "_build" / "html")
    assert (tmp_path / "_build_quick" / "_build" / ".book_mode").read_text().strip() == "quick"
    monkeypatch.setenv("BOOK_QUICK", "0")
    _guarded(tmp_path, tmp_path / "_build" / "html")
    assert (tmp_path / "_build" / ".book_mode").read_text().strip() == "full"
    _guarded(tmp_path, tmp_path / "_build" / "html")  # a rebuild in the same mode is fine


def test_guard_refuses_to_mix_modes_in_one_cache(tmp_path, monkeypatch):
    from sphinx.errors import ConfigError

    monkeypatch.setenv("BOOK_QUICK", "1")
    _guarded(tmp_path, tmp_path / "private" / "_build" / "html")
    monkeypatch.delenv("BOOK_QUICK")
    with pytest.raises(ConfigError, match="holds quick-mode notebook outputs"):
        _guarded(tmp_path, tmp_path / "private" / "_build" / "html")


def test_guard_refuses_a_shared_execution_cache(tmp_path, monkeypatch):
    from sphinx.errors import ConfigError

    monkeypatch.setenv("BOOK_QUICK", "0")
    with pytest.raises(ConfigError, match="execute.cache"):
        _sphinx(tmp_path, tmp_path / "_build" / "html", ["myst_nb", "quick_mode_guard"],
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
    assert "quick_mode_guard: BOOK_QUICK=1" in output, output[-2000:]
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
