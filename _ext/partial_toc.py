"""Let contributors build the book with a private table of contents.

Chapter authors check their chapter with a small ``--toc`` that lists only
``intro`` and their own notebook. The landing page (``intro.md``) links to every
chapter (``{doc}`chapters/...```) and pastes numbers from them
(``{glue:text}`chapters/....ipynb::key```); in such a partial build those
references would fail the ``-W`` build although nothing is wrong.

So, **only when the table of contents is not the book's own ``_toc.yml``**, the
root page's ``{doc}`` and cross-document ``{glue:...}`` references to documents
left out of the build are replaced by plain text saying so. With ``_toc.yml``
(``make book``, ``make test``, CI) nothing is changed and every reference must
resolve.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

BOOK_TOC = "_toc.yml"
GLUE_REF = re.compile(r"\{glue(?::\w+)?\}`(?P<doc>[^`:]+)::[^`]*`")
DOC_REF = re.compile(r"\{doc\}`(?:(?P<title>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<plain>[^`]+))`")


def is_partial_build(app: Sphinx) -> bool:
    """True when built with a table of contents other than the book's ``_toc.yml``."""
    toc = Path(str(getattr(app.config, "external_toc_path", BOOK_TOC)))
    toc = toc if toc.is_absolute() else Path(app.srcdir) / toc
    return toc.resolve() != (Path(app.srcdir) / BOOK_TOC).resolve()


def _docname(app: Sphinx, docname: str, target: str) -> str:
    """A reference's target as a docname (relative to the referring page, suffix removed)."""
    target = target.strip()
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(docname), target)
    target = posixpath.normpath(target.lstrip("/"))
    for suffix in app.config.source_suffix:
        if target.endswith(suffix):
            return target[: -len(suffix)]
    return target


def soften_missing_refs(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != app.config.root_doc or not is_partial_build(app):
        return
    built = app.env.found_docs

    def glue(match: re.Match) -> str:
        doc = _docname(app, docname, match["doc"])
        return match[0] if doc in built else f"*(a number from `{doc}`, not in this build)*"

    def doc(match: re.Match) -> str:
        target = match["target"] or match["plain"]
        name = _docname(app, docname, target)
        return match[0] if name in built else (match["title"] or f"`{name}`")

    before = source[0]
    source[0] = DOC_REF.sub(doc, GLUE_REF.sub(glue, source[0]))
    if source[0] != before:
        logger.info("[partial_toc] %s: references to chapters outside this build shown as plain text", docname)


def setup(app: Sphinx) -> dict:
    app.connect("source-read", soften_missing_refs)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
