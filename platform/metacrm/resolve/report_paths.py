"""Field paths of a report and the values written for them: a path walked through
references to its field (``customer.industry``), a filter of the list grammar, a
parameter's default or a period; shared by the report checks, the schedule checks and
the runtime that runs reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..definitions import Catalog, EntityDef, Location
from ..definitions.reports import DATE_TYPES, ME, PERIODS, RANGE_SEPARATOR, ReportDef
from ..errors import did_you_mean
from ..fieldtypes import FieldType

# Operators every field takes in the list grammar, whatever its type says.
ANY_FIELD_OPERATORS = ("in", "isnull")
MAX_PATH = 4


class PathError(ValueError):
    """A field path that does not lead to a field."""


def walk(catalog: Catalog, entity: EntityDef, path: str
         ) -> tuple[list[tuple[EntityDef, str]], FieldType]:
    """The (entity, field) steps of ``path`` (references then a field) and the type of
    its last field's value; PathError says what is wrong."""
    steps: list[tuple[EntityDef, str]] = []
    names = path.split(".")
    if len(names) > MAX_PATH:
        raise PathError(f"'{path}' follows more than {MAX_PATH - 1} references")
    current = entity
    for index, name in enumerate(names):
        types = current.field_types()
        if name not in types:
            raise PathError(f"unknown field '{name}' of '{current.name}'"
                            f"{did_you_mean(name, types)}")
        steps.append((current, name))
        kind = catalog.field_types.kind(types[name])
        if kind is None:
            raise PathError(f"field '{name}' of '{current.name}' has an unknown type")
        if index == len(names) - 1:
            return steps, kind
        field = current.fields.get(name)
        if kind.references != "record" or field is None or field.to not in catalog.entities \
                or kind.item_type is not None:
            raise PathError(f"'{name}' of '{current.name}' is not a reference: '.' follows "
                            "references only")
        current = catalog.entities[field.to or ""]
    raise PathError("an empty path")  # pragma: no cover - the schema refuses ""


def filter_problem(catalog: Catalog, entity: EntityDef, key: str, value: str) -> str | None:
    """What is wrong with one filter of the list grammar (``path__op: value``), if
    anything; the same rules GET /api/<entity> applies (runtime/query.py)."""
    path, _, op = key.partition("__")
    op = op or "eq"
    try:
        steps, kind = walk(catalog, entity, path)
    except PathError as exc:
        return str(exc)
    owner, name = steps[-1]
    field = owner.fields.get(name)
    if op not in kind.operators and op not in ANY_FIELD_OPERATORS:
        return (f"operator '{op}' does not apply to '{path}' ({kind.name}); it takes: "
                + ", ".join(dict.fromkeys((*kind.operators, *ANY_FIELD_OPERATORS))))
    if op == "isnull":
        return None if value in ("true", "false") else f"{key}: isnull takes true or false"
    parse = catalog.field_types.kind(kind.item_type) if kind.item_type else kind
    items = value.split(",") if op == "in" else [value]
    if op in ("contains", "startswith"):
        return None
    options = (catalog.optionsets[field.options].values()
               if field is not None and field.options
               and field.options in catalog.optionsets else None)
    for item in items:
        if options is not None and item not in options:
            return f"{key}: '{item}' is not one of {', '.join(options)}"
        try:
            (parse or kind).parse(item)
        except ValueError as exc:
            return f"{key}: {exc}"
    return None


def default_problem(catalog: Catalog, kind: FieldType, value: str) -> str | None:
    """What is wrong with ``value`` for a parameter of a field of ``kind``."""
    if kind.name in DATE_TYPES:
        return period_problem(value)
    if value == ME:
        return None if kind.name == "user" else f"'{ME}' stands for a user; this is {kind.name}"
    try:
        kind.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def period_problem(value: str) -> str | None:
    if value in PERIODS:
        return None
    start, separator, end = value.partition(RANGE_SEPARATOR)
    try:
        if separator and date.fromisoformat(start) <= date.fromisoformat(end):
            return None
    except ValueError:
        pass
    return (f"'{value}' is not a period: one of {', '.join(PERIODS)}, or a range of days "
            f"'2026-01-01{RANGE_SEPARATOR}2026-03-31'")


def paths_of(report: ReportDef) -> Iterator[tuple[str, Location]]:
    """Every field path the report reads, with where it is written."""
    for key, _ in report.filters:
        yield key.partition("__")[0], report.at(f"filters[{key}]")
    for dimension in report.dimensions:
        yield dimension.path, dimension.location
    for measure in report.measures:
        if measure.field:
            yield measure.field, measure.at("field")
        for key, _ in measure.filters:
            yield key.partition("__")[0], measure.at(f"filters[{key}]")
    for parameter in report.parameters:
        yield parameter.field, parameter.at("field")
    for step in report.steps:
        for key, _ in step.filters:
            yield key.partition("__")[0], step.at(f"filters[{key}]")

