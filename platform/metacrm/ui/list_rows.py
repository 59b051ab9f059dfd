"""The rows of a list page as HTML: the one part of a page done per cell (fifty rows
of up to seven columns). Each column's cell is prepared once per request (its label
escaped, its formatter and link chosen) and each row only escapes its own values;
through Jinja, every cell cost a loop context, attribute look-ups and a dozen
output pieces, and the rows were most of a list page's time. The template places
the rows in its table."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..compile.compiled import Compiled
from ..definitions.entities import FieldDef
from .display import Formatter, link_of, plain

# A list cell's class by its field type's ``list_cell`` (app.css lays them out).
_CLASS_NAMES = {"number": "num", "nowrap": "nowrap", "text": ""}
CELL_CLASSES = {cell: f' class="{name}"' if name else "" for cell, name in _CLASS_NAMES.items()}


def cell_class(compiled: Compiled, field: FieldDef) -> str:
    """The class of ``field``'s cells in a list ("num", "nowrap" or none), for templates."""
    return _CLASS_NAMES[compiled.catalog.field_types.of(field).list_cell]
# What escaping changes; most values have none of it, and skip markupsafe's escape
# (a Markup object per call, a third of the rows' time).
_SPECIAL = re.compile("[&<>\"']")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    cell: str           # its field type's list_cell: number, nowrap or text
    order: str | None   # aria-sort when the list is sorted by it
    sort_url: str


def list_rows(items: Iterable[Mapping[str, Any]], fields: Sequence[FieldDef],
              header: Sequence[Column], formatters: Sequence[Formatter], own: str,
              targets: Mapping[str, str], select: str | None) -> Markup:
    """One ``<tr>`` per item: the first cell links to the item's page (``own`` + id), a
    reference cell to the referenced record's (``targets[entity]`` + id); ``select``,
    when given, is the word of a first cell with a checkbox carrying the id and version."""
    openings = [f'\n      <td data-label="{escape(c.label)}"'
                f'{CELL_CLASSES[c.cell]}>' for c in header]
    # Links are a prefix and an id: the prefix escaped once (digits need no escaping).
    own = escape(own)
    targets = {entity: escape(prefix) for entity, prefix in targets.items()}
    # A cell is a function of its value alone: a column's cells of the same plain value
    # (an option, a city, an empty one) are written once per page.
    rest: Sequence[tuple[str, dict[Any, str], Callable[[Any], str]]] = [
        (f.name, {}, _cell_writer(f, opening, read, targets))
        for f, opening, read in zip(fields, openings, formatters, strict=True)][1:]
    # (A role may hide every column: the rows then only carry their checkboxes.)
    first = (fields[0].name, openings[0], formatters[0]) if fields else None
    word = escape(select) if select is not None else None
    out: list[str] = []
    add = out.append
    special = _SPECIAL.search
    title_is_text = first is not None and first[2] is plain
    for item in items:
        record_id = int(item["id"])  # ints: written unescaped
        title = item.get(first[0]) if first else ""
        if not (title_is_text and title.__class__ is str):
            title = first[2](title) if first else ""
        title = title or f"#{record_id}"
        if special(title):
            title = escape(title)
        add("\n    <tr>")
        if word is not None:
            add(f'<td data-label="{word}"><input type="checkbox" name="ids" '
                f'value="{record_id}" data-version="{int(item["version"])}" '
                f'aria-label="{word} {title}"></td>')
        if first:
            add(f'{first[1]}<a href="{own}{record_id}">{title}</a></td>')
        for name, written, write in rest:
            value = item.get(name)
            if value.__class__ in _PLAIN:
                cell = written.get(value)
                if cell is None:
                    cell = written[value] = write(value)
            else:  # a reference's record, a list of values
                cell = write(value)
            add(cell)
        add("\n    </tr>")
    return Markup("".join(out))


# The values a cell is written from alone (a reference's value is its record).
_PLAIN = frozenset({str, int, bool, type(None)})


def _cell_writer(field: FieldDef, opening: str, read: Formatter, targets: Mapping[str, str]
                 ) -> Callable[[Any], str]:
    """A column's cell for a value: its text escaped (most texts need none), linked to the
    referenced record's page when the column is a reference."""
    special = _SPECIAL.search
    as_is = read is plain  # a text column's text values are written as they are

    def write(value: Any) -> str:
        text = value if as_is and value.__class__ is str else read(value)
        if special(text):
            text = escape(text)
        link = link_of(field, value) if field.to is not None else None
        if link:
            return f'{opening}<a href="{targets[link[0]]}{link[1]}">{text}</a></td>'
        return f"{opening}{text}</td>"
    return write


def list_header(header: Sequence[Column]) -> Markup:
    """The header cells: each column's label links to the list sorted by it (or the
    other way when it is the sort), marked with aria-sort."""
    return Markup("".join(
        f'\n    <th scope="col"'
        f'{f" aria-sort={chr(34)}{c.order}{chr(34)}" if c.order else ""}>'
        f'<a href="{escape(c.sort_url)}">{escape(c.label)}'
        f'{_ARROWS.get(c.order or "", "")}</a></th>' for c in header))


_ARROWS = {"ascending": " ▲", "descending": " ▼"}
