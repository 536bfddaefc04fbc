"""Emit each inline ``<script>`` once per page (work-around for a Sphinx 7.4 bug).

Sphinx 7.4's ``app.add_js_file(None, body=...)`` hands the HTML builder the
filename ``None``, and ``StandaloneHTMLBuilder.prepare_writing`` later re-adds the
same registry entry with the filename ``''``; the two compare unequal, so every
inline script that an extension adds after the builder starts (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) appears twice on
every page. The second ``const`` declaration throws "Identifier 'THEBE_JS_URL'
has already been declared" in the reader's browser console on every page.
Fixed upstream in Sphinx 8.2 (sphinx-doc/sphinx#13402); Jupyter Book 1 pins
Sphinx 7, so this extension drops the repeated copies before each page is rendered.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def drop_repeated_inline_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree
) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        if getattr(script, "filename", "x"):  # a real file: Sphinx already de-duplicates those
            kept.append(script)
            continue
        key = (script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept  # in place: the builder and later handlers share this list


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
