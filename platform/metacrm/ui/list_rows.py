"""The rows of a list page as HTML: the one part of a page done per cell (fifty rows
of up to seven columns). Each column's cell is prepared once per request (its label
escaped, its formatter and link chosen) and each row only escapes its own values;
through Jinja, every cell cost a loop context, attribute look-ups and a dozen
output pieces, and the rows were most of a list page's time. The template places
the rows in its table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..definitions.entities import FieldDef
from .display import Formatter, link_of

NUMERIC = ("money", "decimal", "integer", "percent")
NUMBER_CLASS = ' class="num"'  # right-aligned


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    numeric: bool
    order: str | None   # aria-sort when the list is sorted by it
    sort_url: str


def list_rows(items: Iterable[Mapping[str, Any]], fields: Sequence[FieldDef],
              header: Sequence[Column], formatters: Sequence[Formatter], own: str,
              targets: Mapping[str, str], select: str | None) -> Markup:
    """One ``<tr>`` per item: the first cell links to the item's page (``own`` + id), a
    reference cell to the referenced record's (``targets[entity]`` + id); ``select``,
    when given, is the word of a first cell with a checkbox carrying the id and version."""
    openings = [f'\n      <td data-label="{escape(c.label)}"'
                f'{NUMBER_CLASS if c.numeric else ""}>' for c in header]
    rest = list(zip(fields, openings, formatters, strict=True))[1:]
    first_field, first_opening, first_read = fields[0], openings[0], formatters[0]
    word = escape(select) if select is not None else None
    out: list[str] = []
    add = out.append
    for item in items:
        record_id = item["id"]
        title = escape(first_read(item.get(first_field.name)) or f"#{record_id}")
        add("\n    <tr>")
        if word is not None:
            add(f'<td data-label="{word}"><input type="checkbox" name="ids" '
                f'value="{record_id}" data-version="{item["version"]}" '
                f'aria-label="{word} {title}"></td>')
        add(f'{first_opening}<a href="{escape(f"{own}{record_id}")}">{title}</a></td>')
        for field, opening, read in rest:
            value = item.get(field.name)
            text = escape(read(value))
            link = link_of(field, value)
            if link:
                add(f'{opening}<a href="{escape(f"{targets[link[0]]}{link[1]}")}">{text}</a>'
                    "</td>")
            else:
                add(f"{opening}{text}</td>")
        add("\n    </tr>")
    return Markup("".join(out))
