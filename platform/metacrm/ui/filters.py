"""The list page's filter builder: a field, one of the operators its type takes
(the API's filter grammar: ``field__op=value``), a value. The pieces come from the
field types; the list API parses and checks what is sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import lazy_gettext

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..runtime.query import LIST_PARAMETERS
from .display import formatter_for

OPERATOR_WORDS = {
    "eq": lazy_gettext("is"), "ne": lazy_gettext("is not"), "gt": ">", "gte": "≥",
    "lt": "<", "lte": "≤", "in": lazy_gettext("is one of (a, b, …)"),
    "contains": lazy_gettext("contains"), "startswith": lazy_gettext("starts with"),
    "isnull": lazy_gettext("is empty (true / false)"),
}

# The fields every record has, as a filter chip names them.
SYSTEM_FIELD_WORDS = {
    "id": "ID", "created_at": lazy_gettext("Created"), "updated_at": lazy_gettext("Updated"),
    "created_by": lazy_gettext("Created by"), "updated_by": lazy_gettext("Updated by"),
}


@dataclass(frozen=True)
class Filterable:
    name: str
    label: str
    operators: tuple[str, ...]

    @property
    def codes(self) -> str:
        """The operators as the builder's ``data-operators`` lists them (joined here:
        Jinja's join filter escapes item by item)."""
        return ",".join(self.operators)


@dataclass(frozen=True)
class ActiveFilter:
    parameter: str
    label: str
    value: str
    remove_url: str


def filterables(compiled: Compiled, model: EntityModel, hidden: frozenset[str],
                language: str) -> list[Filterable]:
    types = compiled.catalog.field_types
    found = []
    for field in model.entity.fields.values():
        operators = types.of(field).operators
        if field.name not in hidden and operators:
            found.append(Filterable(field.name, field.label.get(language), operators))
    return found


def active_filters(compiled: Compiled, model: EntityModel, pairs: Sequence[tuple[str, str]],
                   language: str) -> list[ActiveFilter]:
    """The filters in the query string (a parameter may come more than once: each is
    one filter), each named as the page names its field, a choice by its option's
    label, and with the list's address without that one filter."""
    found = []
    for index, (parameter, value) in enumerate(pairs):
        if parameter in (*LIST_PARAMETERS, "lang"):
            continue
        name, _, operator = parameter.partition("__")
        field = model.entity.fields.get(name) if "." not in name else None
        label = (field.label.get(language) if field else str(SYSTEM_FIELD_WORDS[name])
                 if name in SYSTEM_FIELD_WORDS else name)
        word = str(OPERATOR_WORDS.get(operator or "eq", operator))
        # choices by their labels, as a list shows them (``in`` lists values with commas)
        shown = (formatter_for(compiled, field, language)(value.split(","))
                 if field and field.options else _moment(value))
        rest = [(k, v) for i, (k, v) in enumerate(pairs) if i != index and k != "cursor"]
        found.append(ActiveFilter(parameter, f"{label} {word}", shown, "?" + urlencode(rest)))
    return found


_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?"
                     r"(Z|[+-]\d{2}:\d{2})")


def _moment(value: str) -> str:
    """A date-time as sent (2026-01-01T00:00:00+08:00) as a person reads it
    (2026-01-01 00:00 +08:00); anything else as it is."""
    found = _MOMENT.fullmatch(value)
    if found is None:
        return value
    day, time, offset = found.groups()
    return f"{day} {time} {'UTC' if offset == 'Z' else offset}"
