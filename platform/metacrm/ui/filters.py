"""The list page's filter builder: a field, one of the operators its type takes
(the API's filter grammar: ``field__op=value``), a value. The pieces come from the
field types; the list API parses and checks what is sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
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
    shown_for, absorbed = _tightest_bounds(pairs)
    for index, (parameter, value) in enumerate(pairs):
        if parameter in (*LIST_PARAMETERS, "lang") or index in absorbed:
            continue
        name, _, operator = parameter.partition("__")
        field = model.entity.fields.get(name) if "." not in name else None
        label = (field.label.get(language) if field else str(SYSTEM_FIELD_WORDS[name])
                 if name in SYSTEM_FIELD_WORDS else name)
        word = str(OPERATOR_WORDS.get(operator or "eq", operator))
        # choices by their labels, as a list shows them (``in`` lists values with commas)
        shown = (formatter_for(compiled, field, language)(value.split(","))
                 if field and field.options else _moment(value))
        gone = shown_for.get(index, {index})
        rest = [(k, v) for i, (k, v) in enumerate(pairs) if i not in gone and k != "cursor"]
        found.append(ActiveFilter(parameter, f"{label} {word}", shown, "?" + urlencode(rest)))
    return found


_SIDES = {"gt": "lower", "gte": "lower", "lt": "upper", "lte": "upper"}


def _tightest_bounds(pairs: Sequence[tuple[str, str]]
                     ) -> tuple[dict[int, set[int]], set[int]]:
    """Bounds that repeat on one side of one field (a report's drill-down sends its
    period and the cell's month, both on created_at): only the tightest is a chip, and
    removing it removes that side's every bound. Returns the shown bound's indexes
    with all those of its side, and the indexes not shown. Bounds that do not compare
    (text, mixed kinds) stay one chip each."""
    sides: dict[tuple[str, str], list[int]] = {}
    for index, (parameter, _) in enumerate(pairs):
        name, _, operator = parameter.partition("__")
        if operator in _SIDES:
            sides.setdefault((name, _SIDES[operator]), []).append(index)
    shown_for: dict[int, set[int]] = {}
    absorbed: set[int] = set()
    for (_, side), indexes in sides.items():
        keys = [_bound(pairs[i][1]) for i in indexes]
        if len(indexes) < 2 or None in keys or len({k[0] for k in keys if k}) != 1:
            continue
        strict = [pairs[i][0].endswith(("__gt", "__lt")) for i in indexes]
        # lower: the greatest value, upper: the least; a strict bound wins a tie
        values = [key[1] for key in keys if key]
        if side == "lower":
            order = sorted(range(len(indexes)), key=lambda n: (values[n], strict[n]),
                           reverse=True)
        else:
            order = sorted(range(len(indexes)), key=lambda n: (values[n], not strict[n]))
        tightest = indexes[order[0]]
        shown_for[tightest] = set(indexes)
        absorbed.update(i for i in indexes if i != tightest)
    return shown_for, absorbed


def _bound(value: str) -> tuple[str, object] | None:
    """A bound's value as it compares: (its kind, the value), None for text."""
    try:
        number = Decimal(value)
        return ("number", number) if number.is_finite() else None
    except InvalidOperation:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ("aware" if moment.tzinfo else "naive", moment)


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
