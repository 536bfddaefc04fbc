#!/usr/bin/env python
"""Print a chapter's prose with its glued values filled in, from an executed copy of the notebook.

A sentence whose wording depends on a training outcome must read right at every
seed. Execute a chapter at a seed, then read what the book would say:

    BOOK_SEED=7 .venv/bin/jupyter nbconvert --to notebook --execute chapters/02_rnn_from_scratch.ipynb \\
        --output-dir /tmp/seed7 --ExecutePreprocessor.timeout=1800
    .venv/bin/python .ci/render_prose.py /tmp/seed7/02_rnn_from_scratch.ipynb [--diff /tmp/seed42/02_...ipynb]

``{glue:text}`name:fmt``` becomes the formatted value, ``{glue:md}`name``` the
glued Markdown; a missing glue name is reported. With ``--diff``, only the
paragraphs that read differently in the two runs are printed, side by side.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys

GLUE = re.compile(r"\{glue(?::(text|md|))?\}`([^`]+)`")


def glued_values(nb: dict) -> dict:
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            data = {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in out.get("data", {}).items()}
            if "text/markdown" in data:
                values[meta["name"]] = ("md", "".join(data["text/markdown"]))
            else:
                values[meta["name"]] = ("text", "".join(data.get("text/plain", "")))
    return values


def render(nb: dict) -> tuple[list[str], list[str]]:
    values, missing = glued_values(nb), []

    def fill(match):
        kind, ref = match.group(1), match.group(2)
        if "::" in ref:
            return f"<{ref}>"
        name, _, fmt = ref.partition(":")
        if name not in values:
            missing.append(name)
            return f"<MISSING {name}>"
        vtype, raw = values[name]
        if vtype == "md" or kind == "md":
            return raw
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
        return format(value, fmt) if fmt else str(value)

    paragraphs = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            paragraphs += [GLUE.sub(fill, p) for p in "".join(cell["source"]).split("\n\n")]
    return paragraphs, missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--diff", help="another executed copy: print only the paragraphs that differ")
    args = parser.parse_args(argv)
    text, missing = render(json.load(open(args.notebook, encoding="utf8")))
    if args.diff:
        other, missing_other = render(json.load(open(args.diff, encoding="utf8")))
        for a, b in zip(text, other):
            if a != b:
                print("-" * 100)
                for line in difflib.unified_diff(
                    b.split(". "), a.split(". "), args.diff, args.notebook, lineterm="", n=0
                ):
                    print(line)
        missing += missing_other
    else:
        print("\n\n".join(text))
    if missing:
        print(f"\nMISSING GLUE: {sorted(set(missing))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
