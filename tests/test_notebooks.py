"""House rules for the chapter notebooks that can be checked without running them.

Running them is nbmake's job (`make notebooks`); these checks keep the
committed files honest: no outputs, in the table of contents, one setup cell
(`import utils as book`, `mode = book.setup()`), a summary and exercises with hidden solutions,
every value glued under a literal name shown in the prose.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def _cells(path: Path, kind: str) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in chapters/"


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    listed = _toc_files()
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".ipynb", ".md")), f"_toc.yml lists missing {entry}"
    for path in CHAPTERS:
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, f"{path.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} of {path.name} has outputs: run `make strip`"
            assert cell.get("execution_count") is None, f"cell {i} of {path.name} has an execution count"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


SETUP_IMPORT = "import utils as book"
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
COLAB_CELL = f"""# On Colab only: install the book's helper package (elsewhere this cell does nothing).
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "lstm-sentiment-book @ git+{REPOSITORY}"
"""


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_installs_the_package_on_colab_only(path):
    first = _cells(path, "code")[0].strip()
    assert first == COLAB_CELL.strip(), f"{path.name}: the first code cell must be the Colab cell"

LIBRARIES = re.compile(r"from utils import (\w+)(, \w+)*(\s+#.*)?$")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_setup_cell_imports_the_book_and_calls_setup(path):
    """`import utils as book`, at most one `from utils import <libraries>` line, `mode = book.setup()`; nothing else."""
    code = "\n".join(_cells(path, "code")[1:])  # after the Colab cell
    imports = [line.strip() for line in code.splitlines() if re.match(r"\s*(import|from)\s+\S+", line)]
    assert imports and imports[0] == SETUP_IMPORT, (
        f"{path.name}: the first import must be `{SETUP_IMPORT}`, found {imports}"
    )
    others = imports[1:]
    assert len(others) <= 1 and all(LIBRARIES.match(line) for line in others), (
        f"{path.name}: besides `{SETUP_IMPORT}`, only one `from utils import np, pd, ...` line is allowed: {others}")
    if others:
        names = set(re.findall(r"\w+", others[0].split("#")[0])) - {"from", "utils", "import"}
        libraries = {"keras", "np", "pd", "plt", "sns", "tf"}
        assert names <= libraries, f"{path.name}: import helpers as book.<name>: {names}"
    assert "sys.path" not in code, f"{path.name} edits sys.path"
    assert re.search(r"^mode = book\.setup\(", code, re.M), f"{path.name} does not call `mode = book.setup(...)`"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_title_summary_and_exercises(path):
    markdown = "\n".join(_cells(path, "markdown"))
    first = _cells(path, "markdown")[0]
    assert re.match(r"\(ch-[a-z0-9-]+\)=\n# ", first), f"{path.name}: first cell needs a label and a title"
    for heading in ("## Overview", "## Setup", "## Summary", "## Exercises"):
        assert heading in markdown, f"{path.name} has no '{heading}' section"
    exercises = re.findall(r":label: (ex-[\w-]+)", markdown)
    assert exercises, f"{path.name} has no labelled exercise"
    for label in exercises:
        assert re.search(rf":::\{{solution\}} {label}\n:class: dropdown", markdown), f"{label} has no dropdown solution"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_books_machinery_is_out_of_the_readers_way(path):
    # glue() feeds the prose; it belongs in cells the built page removes (JupyterLab still shows them)
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if re.search(r"\b(book\.)?glue(_markdown|_paired)?\(", source):
            tags = cell.get("metadata", {}).get("tags", [])
            assert "remove-cell" in tags, f"{path.name} cell {i}: glue() in a visible cell: tag it remove-cell"


# Glued but named nowhere in the book's prose: empty, and no name may be added (a glued value that no sentence
# shows is dead weight; only a pending re-execution of its chapter justifies one here).
UNUSED_GLUE_ALLOWED: set[str] = set()


_GLUE_CALL = re.compile(r"\bglue(_markdown|_paired)?\(\s*\"([^\"]+)\"")


def _glued(path: Path) -> list[str]:
    """Names that ``path``'s code glues under a literal name (names built at run time, f-strings, are not seen).

    ``glue_paired(key, ...)`` glues four: key, key_low, key_high and key with _minus_ -> _vs_
    (utils.notebook.BookMode.glue_paired).
    """
    names = []
    for kind, name in _GLUE_CALL.findall("\n".join(_cells(path, "code"))):
        names += [name, f"{name}_low", f"{name}_high", name.replace("_minus_", "_vs_")] if kind == "_paired" else [name]
    return names


def _glue_references() -> set[tuple[str, str]]:
    """(notebook, name) for every ``{glue...}`name` `` role in the book's Markdown.

    A plain name refers to the notebook whose Markdown holds it; ``chapters/x.ipynb::name`` (from any page) to x.
    """
    texts = [(p.name, "\n".join(_cells(p, "markdown"))) for p in CHAPTERS]
    texts += [("", p.read_text()) for p in [*ROOT.glob("*.md"), *(ROOT / "chapters").glob("*.md")]]
    refs = set()
    for notebook, text in texts:
        for m in re.finditer(r"\{glue(?::\w+)?\}`([^`]+)`", text):
            target, _, name = m.group(1).rpartition("::")
            refs.add((Path(target).name if target else notebook, name.split(":")[0]))
    return refs


def _unshown_glue() -> list[tuple[str, str]]:
    """(notebook, name) for every literally named glued value that its notebook's prose never shows."""
    refs = _glue_references()
    return [(path.name, name) for path in CHAPTERS for name in _glued(path) if (path.name, name) not in refs]


def test_every_glued_value_is_named_in_the_prose():
    # A value glued and shown nowhere is dead weight in the cache, or a sentence that lost its number.
    unused = [f"{notebook}: {name}" for notebook, name in _unshown_glue() if name not in UNUSED_GLUE_ALLOWED]
    assert not unused, "glued but never shown; name them in the prose or stop gluing them:\n" + "\n".join(unused)


def test_the_allowed_unused_glue_names_are_still_glued_and_unused():
    # The allow-list above only shrinks: a name that is now shown in its prose, or no longer glued, must leave it.
    stale = sorted(UNUSED_GLUE_ALLOWED - {name for _, name in _unshown_glue()})
    assert not stale, f"remove from UNUSED_GLUE_ALLOWED: {stale}"


def test_glue_names_are_unique_across_the_book():
    owners: dict[str, set[str]] = {}
    for path in CHAPTERS:
        for name in _glued(path):
            owners.setdefault(name, set()).add(path.name)
    shared = {name: sorted(paths) for name, paths in owners.items() if len(paths) > 1}
    # A plain {glue} reference reads its own notebook's value, but a cross-page one (chapters/x.ipynb::name) and a
    # reader of the code need one meaning per name: prefix a chapter's copy (ch06_n_val), never reuse the name.
    assert not shared, f"glued by more than one chapter: {shared}"
