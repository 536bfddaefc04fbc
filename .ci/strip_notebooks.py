"""Strip outputs, execution counts and run-time metadata from notebooks (``make strip``).

Keeps what the book needs: cell tags (``hide-input`` ...), the ``mystnb``
figure metadata (numbered figures and captions) and the kernel spec.
Usage: ``python .ci/strip_notebooks.py chapters/*.ipynb``.
"""

import sys

import nbformat

KEEP_CELL_METADATA = {"tags", "mystnb"}
KEEP_NOTEBOOK_METADATA = {"kernelspec"}


def strip(path: str) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NOTEBOOK_METADATA}
    nb.metadata["language_info"] = {"name": "python"}
    after = nbformat.writes(nb)
    if after != before:
        with open(path, "w", encoding="utf-8") as out:
            out.write(after)
    return after != before


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(("stripped  " if strip(path) else "unchanged ") + path)
