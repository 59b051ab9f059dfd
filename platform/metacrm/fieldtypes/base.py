"""What a field type is: one frozen value answering every question the engine asks of
a type, and the registry of the types a built platform knows.

A type's answers used to be string switches spread over a dozen modules; now the
engine asks the registry (``types.of(field).column(field)``) and a new type, built in
or from a plugin, is one module that builds one ``FieldType``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from .form_values import read_text, text_of

if TYPE_CHECKING:  # definitions import this package for the catalog's registry
    import sqlalchemy as sa
    from marshmallow import fields as mfields

    from ..definitions import FieldDef

Converter = Callable[[Any], Any]
Schema = dict[str, Any]

# Keys every field takes, whatever its type.
COMMON_KEYS = frozenset(("type", "label", "help", "required", "unique", "indexed",
                         "readonly", "default"))
# Every filter operator of a list query, in the order the API documents them.
ALL_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith",
                 "isnull")
TEXT_OPERATORS = ALL_OPERATORS
ORDERED_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "isnull")
EQUALITY_OPERATORS = ("eq", "ne", "in", "isnull")
LIST_OPERATORS = ("eq", "ne", "in", "contains", "isnull")
# How a list sorts by a field: by its value, by its option set's order, or not at all.
ORDERINGS = ("value", "options", "none")
LIST_CELLS = ("number", "nowrap", "text")


@dataclass(frozen=True)
class SchemaEnv:
    """What a field's OpenAPI schema needs from the document around it: the values of
    its option set, and the schema of the record it refers to ($ref), if any."""

    options: tuple[str, ...] = ()
    target: Schema | None = None


@dataclass(frozen=True)
class FieldType:
    """Everything one field type means, from its YAML keys to its list cell.

    Callables take the field's definition where its keys shape the answer
    (``max_length``, ``scale``, ``min``…). A derived type (formula, rollup) holds a
    value of the type its ``result`` names: ``FieldTypes.of(field)`` answers for it.
    """

    name: str
    # Its name in messages ("Not a valid {kind}."), by language.
    noun: Mapping[str, str]
    # Definition keys it takes besides COMMON_KEYS; check refuses the others.
    keys: frozenset[str]
    # The column: a SQLAlchemy type, or None when its values live elsewhere (links).
    column: Callable[[FieldDef], sa.types.TypeEngine | None]
    # The marshmallow field that reads it from a request body: (field, language,
    # the values of its option set) -> a field whose validators carry its bounds.
    payload: Callable[[FieldDef, str, tuple[str, ...]], mfields.Field]
    # Text (a query string, a cursor, a definition's literal) -> its value; ValueError
    # says why it is not one.
    parse: Callable[[str], Any]
    # (field) -> a function turning a database value into its JSON value (None: as is).
    output: Callable[[FieldDef], Converter | None]
    # How expressions see it: their type name, and the conversions both ways.
    expression_type: str
    to_expression: Converter
    # (result, field) -> the value the field stores; EvaluationError says why not.
    to_field: Callable[[Any, FieldDef], Any]
    # The list-query operators it takes, and how a list sorts by it (ORDERINGS).
    operators: tuple[str, ...]
    ordering: str
    # OpenAPI: (field, output?, env) -> its JSON value's schema; (field, env) -> the
    # schema of its value in a filter's query string.
    schema: Callable[[FieldDef, bool, SchemaEnv], Schema]
    filter_schema: Callable[[FieldDef, SchemaEnv], Schema]
    # The UI: its form widget, and a database value as the text of a list cell.
    widget: str
    list_text: Callable[[Any, FieldDef], str]
    # Import: a spreadsheet cell (text, a number, a date…) -> its value; ValueError
    # says why not. An empty cell is None before it gets here.
    read_cell: Callable[[Any, FieldDef], Any]
    # A definition's literal (default, a condition's value) -> its value; ValueError.
    read_literal: Callable[[Any], Any] | None = None
    # Set by the platform only (autonumber, formula, rollup).
    computed: bool = False
    # A value of the type its ``result`` names (formula, rollup).
    derived: bool = False
    # Whether it has a column of the entity's own table (multi_reference has a link table).
    stored: bool = True
    # Ids of records ("record", of the entity ``to`` names) or of users ("user").
    references: str | None = None
    # A list type's item: the type name its items parse as in filters.
    item_type: str | None = None
    # Exact numbers: (field) -> digits after the point, and digits in all.
    scale: Callable[[FieldDef], int] | None = None
    precision: int | None = None
    # Text kinds: (field) -> the most characters it holds (None: unbounded).
    max_length: Callable[[FieldDef], int | None] | None = None
    # The expression results (``result:``) a derived type may have.
    results: tuple[str, ...] = ()
    # Defaults like $today and $now that fit it.
    macros: tuple[str, ...] = ()
    # How a list lays out its cells (LIST_CELLS): "number" (right-aligned figures on
    # one line), "nowrap" (codes, dates and phone numbers, which a line break would
    # garble at a hyphen or space), or "text" (wraps).
    list_cell: str = "text"
    # A web form: the texts a post sent for its control (none for an unticked box)
    # -> the request body's value (the cleared value when nothing was filled in); and
    # a stored value -> what the control holds (form_values.py).
    read_form: Callable[[Sequence[str]], Any] = read_text
    form_text: Converter = text_of
    # A moment's type: (value, zone) -> the value as its wall time in that time zone
    # (pages and forms show it there), and (a form's or a spreadsheet cell's time
    # without an offset, zone) -> the moment it means there. None: a value that reads
    # the same in every zone.
    in_zone: Callable[[Any, tzinfo], Any] | None = None
    from_zone: Callable[[Any, tzinfo], Any] | None = None

    @property
    def bounded(self) -> bool:
        """Whether ``min``/``max`` apply (and are enforced)."""
        return "min" in self.keys

    @property
    def textual(self) -> bool:
        """Whether text operators (contains, startswith) apply."""
        return "contains" in self.operators and self.item_type is None

    def shown_in(self, value: Any, zone: tzinfo) -> Any:
        """``value`` as it reads in ``zone`` (a moment's wall time there)."""
        return value if self.in_zone is None else self.in_zone(value, zone)

    def taken_in(self, value: Any, zone: tzinfo) -> Any:
        """``value`` written in ``zone`` without an offset, as the value it means."""
        return value if self.from_zone is None else self.from_zone(value, zone)

    def literal(self, value: Any) -> Any:
        """A value written in a definition as this type holds it; ValueError says why."""
        if self.read_literal is not None:
            return self.read_literal(value)
        return self.parse(str(value))


class FieldTypes(Mapping[str, FieldType]):
    """The field types a platform knows, by name: the built-in ones and its plugins'.

    Immutable; ``with_types`` gives a new registry. Names keep the order they were
    added in, which is the order messages list them in.
    """

    def __init__(self, types: Iterable[FieldType] = ()) -> None:
        found: dict[str, FieldType] = {}
        for kind in types:
            if kind.name in found:
                raise ValueError(f"two field types are named '{kind.name}'")
            if kind.list_cell not in LIST_CELLS:
                raise ValueError(f"field type '{kind.name}': list_cell is "
                                 f"'{kind.list_cell}', not one of {', '.join(LIST_CELLS)}")
            found[kind.name] = kind
        self._types = found

    def __getitem__(self, name: str) -> FieldType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"FieldTypes({', '.join(self._types)})"

    def with_types(self, types: Iterable[FieldType]) -> FieldTypes:
        return FieldTypes([*self._types.values(), *types])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._types)

    def of(self, field: FieldDef) -> FieldType:
        """The type of the field's value: a formula's or a rollup's is its result's."""
        return self._types[field.value_type]

    def kind(self, name: str) -> FieldType | None:
        return self._types.get(name)

    # The questions asked most, by the field (derived types answer as their result).

    def column_type(self, field: FieldDef) -> sa.types.TypeEngine | None:
        return self.of(field).column(field)

    def output_converter(self, field: FieldDef) -> Converter | None:
        return self.of(field).output(field)

    def expression_type(self, value_type: str) -> str:
        found = self._types.get(value_type)
        return found.expression_type if found is not None else "string"

    def to_expression(self, value: Any, value_type: str) -> Any:
        return None if value is None else self._types[value_type].to_expression(value)

    def parse(self, value_type: str, raw: str) -> Any:
        return self._types[value_type].parse(raw)

    def keys_for(self, key: str) -> tuple[str, ...]:
        """The types that take definition key ``key``."""
        return tuple(name for name, kind in self._types.items() if key in kind.keys)
