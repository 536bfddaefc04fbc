"""An author–year bibliography to match the author–year citations.

sphinxcontrib-bibtex's ``unsrt`` style numbers the entries [1], [2], ... in citation order, while the text cites
"Hochreiter and Schmidhuber (1997)". This extension registers the pybtex style ``authoryear``: entries sorted by
author, year and title, each labelled as it is cited, e.g. "Hochreiter and Schmidhuber,
1997" or "Maas et al., 2011". ``references.md`` selects it with ``:style: authoryear``.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from sphinx.application import Sphinx


def _surname(person) -> str:
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


def author_year_label(entry) -> str:
    """``"Surname, 1997"``, ``"A and B, 1997"`` or ``"A et al., 1997"`` (editors when there is no author)."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    if not names:
        who = entry.fields.get("organization", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        seen: dict[str, int] = {}
        for entry in sorted_entries:
            label = author_year_label(entry)
            seen[label] = seen.get(label, 0) + 1
            # two works by the same authors in the same year: 2000a, 2000b
            yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"


def sort_key(entry) -> tuple:
    """Authors' surnames (braces dropped, so ``{TensorFlow authors}`` sorts under T), then year, then title."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p).lower() for p in people] or [entry.fields.get("organization", entry.key).lower()]
    return names, entry.fields.get("year", ""), entry.fields.get("title", "").lower()


class AuthorYearSorting(BaseSortingStyle):
    def sort(self, entries):
        return sorted(entries, key=sort_key)


class AuthorYearStyle(PlainStyle):
    default_label_style = "authoryear"
    default_sorting_style = "authoryear"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
register_plugin("pybtex.style.sorting", "authoryear", AuthorYearSorting)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app: Sphinx) -> dict:
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
