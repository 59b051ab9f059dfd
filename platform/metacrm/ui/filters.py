"""The list page's filter builder: a field, one of the operators its type takes
(the API's filter grammar: ``field__op=value``), a value. The pieces come from the
field types; the list API parses and checks what is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import lazy_gettext

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..runtime.query import LIST_PARAMETERS

OPERATOR_WORDS = {
    "eq": lazy_gettext("is"), "ne": lazy_gettext("is not"), "gt": ">", "gte": "≥",
    "lt": "<", "lte": "≤", "in": lazy_gettext("is one of (a, b, …)"),
    "contains": lazy_gettext("contains"), "startswith": lazy_gettext("starts with"),
    "isnull": lazy_gettext("is empty (true / false)"),
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


def active_filters(model: EntityModel, args: Mapping[str, str], language: str
                   ) -> list[ActiveFilter]:
    """The filters in the query string, each with the list's address without it."""
    found = []
    for parameter, value in args.items():
        if parameter in (*LIST_PARAMETERS, "lang"):
            continue
        name, _, operator = parameter.partition("__")
        field = model.entity.fields.get(name.split(".")[0])
        label = field.label.get(language) if field and "." not in name else name
        word = str(OPERATOR_WORDS.get(operator or "eq", operator))
        rest = [(k, v) for k, v in args.items() if k not in (parameter, "cursor")]
        found.append(ActiveFilter(parameter, f"{label} {word}", value, "?" + urlencode(rest)))
    return found
