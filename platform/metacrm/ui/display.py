"""A field's value as a person reads it on a page: option labels instead of
codes, the title of a referenced record, grouped digits for money.

Values arrive as the API represents them (money as exact decimal text), so a
page shows exactly what the API returns; nothing here computes a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext

from ..compile.compiled import Compiled
from ..definitions.entities import FieldDef


def _grouped(text: Any) -> str:
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        return str(text)
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{number:,.{places}f}"


def datetime_text(text: Any) -> str:
    # "2026-12-03T02:36:58.935211+00:00" → "2026-12-03 02:36 UTC" (offsets are UTC)
    value = text.isoformat() if isinstance(text, datetime) else str(text)
    return f"{value[:10]} {value[11:16]} UTC" if len(value) >= 16 else value


def _boolean(value: Any) -> str:
    return gettext("Yes") if value else gettext("No")


FORMATTERS: Mapping[str, Callable[[Any], str]] = {
    "money": _grouped, "decimal": _grouped, "integer": _grouped,
    "percent": lambda value: f"{_grouped(value)} %",
    "datetime": datetime_text, "boolean": _boolean,
}


def record_title(compiled: Compiled, entity: str, record: Mapping[str, Any]) -> str:
    model = compiled.models.get(entity)
    title_field = model.entity.title if model is not None else None
    title = record.get(title_field) if title_field else None
    return str(title) if title not in (None, "") else f"#{record.get('id')}"


def display(compiled: Compiled, field: FieldDef, value: Any, language: str) -> str:
    """The text shown for ``value`` of ``field`` (empty for no value)."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, list):
        return ", ".join(display(compiled, field, item, language) for item in value)
    if field.type == "choice" and field.options:
        options = compiled.catalog.optionsets.get(field.options)
        for option in options.options if options else ():
            if option.value == value:
                return option.label.get(language)
        return str(value)
    if isinstance(value, Mapping):  # an expanded reference or user
        if field.type == "user":
            return str(value.get("name") or value.get("username") or f"#{value.get('id')}")
        return record_title(compiled, field.to or "", value)
    if field.type in ("reference", "multi_reference", "user"):
        return f"#{value}"  # not expanded: outside the viewer's reach
    formatter = FORMATTERS.get(field.value_type)  # a formula shows as its result type
    return formatter(value) if formatter else str(value)


def link_of(field: FieldDef, value: Any) -> tuple[str, int] | None:
    """(entity, id) of the record a reference value points at, when it can be opened."""
    if field.type == "reference" and isinstance(value, Mapping) and field.to:
        return field.to, int(value["id"])
    return None
