"""A field's value as a person reads it on a page: option labels instead of
codes, the title of a referenced record, grouped digits for money, moments in the
bundles' time zone (``settings: {time_zone: …}``).

Values arrive as the API represents them (money as exact decimal text), so a
page shows exactly what the API returns; nothing here computes a value. A list
page prepares one formatter per column (``formatter_for``) and applies it to
every row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..compile.compiled import Compiled
from ..definitions.entities import FieldDef
from ..fieldtypes.common import plain_text
from ..fieldtypes.datetime import in_zone, moment_text
from ..web.requests import platform

Formatter = Callable[[Any], str]


def datetime_text(text: Any) -> str:
    """A moment of the API's (text or datetime) as the pages show it: its wall time in
    the bundles' time zone (marked UTC when that is UTC); anything else as it is."""
    if not isinstance(text, datetime | str) or not text:
        return "" if text is None else str(text)
    try:
        return moment_text(in_zone(text, platform().compiled.catalog.settings.tzinfo))
    except ValueError:  # not a moment's text
        return str(text)


def record_title(compiled: Compiled, entity: str, record: Mapping[str, Any]) -> str:
    model = compiled.models.get(entity)
    title_field = model.entity.title if model is not None else None
    title = record.get(title_field) if title_field else None
    return str(title) if title not in (None, "") else f"#{record.get('id')}"


def formatter_for(compiled: Compiled, field: FieldDef, language: str) -> Formatter:
    """How the values of ``field`` read (empty text for no value): options by their
    labels in ``language``, references by the title of what they point at, anything
    else as its field type writes it in a list (a formula as its result's type)."""
    kind = compiled.catalog.field_types.of(field)
    zone = compiled.catalog.settings.tzinfo
    if field.options:
        options = compiled.catalog.optionsets.get(field.options)
        labels = {o.value: o.label.get(language) for o in options.options} if options else {}
        one: Formatter = lambda value: labels[value] if value in labels else str(value)  # noqa: E731
    elif (references := kind.references) is not None:
        one = lambda value: _referenced(compiled, references, field, value)  # noqa: E731
    elif kind.list_text is plain_text:
        return plain  # the most common case: a list writes its text values as they are
    elif kind.in_zone is not None:  # a moment, read where its readers are
        one = lambda value: kind.list_text(kind.shown_in(value, zone), field)  # noqa: E731
    else:
        one = lambda value: kind.list_text(value, field)  # noqa: E731

    def read(value: Any) -> str:
        if value is None or value == [] or value == "":
            return ""
        if isinstance(value, list):
            return ", ".join(one(item) for item in value)
        return one(value)

    return read


def plain(value: Any) -> str:
    """The formatter of a field whose values read as their text (list_rows writes a
    text value without calling it)."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _referenced(compiled: Compiled, references: str, field: FieldDef, value: Any) -> str:
    if not isinstance(value, Mapping):
        return f"#{value}"  # not expanded: outside the viewer's reach
    if references == "user":
        return str(value.get("name") or value.get("username") or f"#{value.get('id')}")
    return record_title(compiled, field.to or "", value)


def display(compiled: Compiled, field: FieldDef, value: Any, language: str) -> str:
    """The text shown for one value of ``field``."""
    return formatter_for(compiled, field, language)(value)


def link_of(field: FieldDef, value: Any) -> tuple[str, int] | None:
    """(entity, id) of the record a reference value points at, when it can be opened."""
    if field.to and isinstance(value, Mapping):  # a record (a user has no page)
        return field.to, int(value["id"])
    return None
