"""What each field type is in the database and in JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .definitions import FieldDef

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# An empty value is SQL NULL, not the JSON value null, so that isnull filters work.
JSON_TYPE = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")
DEFAULT_STRING_LENGTH = 255


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment stored in UTC and always read back with its offset: SQLite keeps no
    zone, so without this the same column answers differently on each database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or not isinstance(value, datetime):
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class MinorUnits(sa.types.UserDefinedType[int]):
    """SQLite's declaration of an exact number kept as a whole count of its smallest
    unit (cents for money). The declared name tells a migration which form the values
    of an existing column are in."""

    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        self.precision, self.scale = precision, scale

    def get_col_spec(self, **kw: Any) -> str:
        return f"MINOR_UNITS({self.precision}, {self.scale})"


class ExactNumeric(sa.types.TypeDecorator[Decimal]):
    """A decimal that comes back exactly as it went in, on every database.

    PostgreSQL has NUMERIC. SQLite has no decimal type: it would keep
    9999999999999999.99 as a binary double (10000000000000000.0), so there the
    value is stored as an integer of minor units (999999999999999999), which also
    keeps sorting, comparing and SUM exact.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision, self.scale = precision, scale

    def load_dialect_impl(self, dialect: Any) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(MinorUnits(self.precision, self.scale))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int(Decimal(value).scaleb(self.scale).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)

    def coerce_compared_value(self, op: Any, value: Any) -> sa.types.TypeEngine[Any]:
        # Whatever it is compared with is bound as this type, so also scaled on SQLite.
        return self


DEFAULT_DECIMAL_SCALE = 4
# Digits in all of the exact numeric types. Eighteen digits fit a 64-bit integer of
# minor units, which is how SQLite keeps them exactly (it has no decimal type).
NUMERIC_PRECISION = {"money": 18, "percent": 9, "decimal": 18}
NUMERIC_KINDS = tuple(NUMERIC_PRECISION)

_FIXED_TYPES: dict[str, Callable[[], sa.types.TypeEngine]] = {
    "text": sa.Text,
    "integer": sa.BigInteger,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": UtcDateTime,
    "choice": lambda: sa.String(60),
    "multi_choice": lambda: JSON_TYPE,
    "json": lambda: JSON_TYPE,
    "email": lambda: sa.String(254),
    "phone": lambda: sa.String(40),
    "url": lambda: sa.String(2048),
    "autonumber": lambda: sa.String(64),
    "reference": lambda: ID_TYPE,
    "user": lambda: ID_TYPE,
}


def column_type(field: FieldDef) -> sa.types.TypeEngine:
    kind = field.value_type
    if kind == "string":
        return sa.String(field.max_length or DEFAULT_STRING_LENGTH)
    if kind in NUMERIC_KINDS:
        return ExactNumeric(*numeric_shape(field))
    if kind == "text" and field.max_length:
        return sa.Text()
    return _FIXED_TYPES[kind]()


# --- JSON output ----------------------------------------------------------------


def _iso_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _decimal_text(scale: int) -> Callable[[Any], str]:
    quantum = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> str:
        return str(Decimal(value).quantize(quantum))
    return convert


def _date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def output_converter(value_type: str, scale: int | None = None) -> Callable[[Any], Any] | None:
    """A function turning a database value into its JSON value (None: as is)."""
    if value_type == "datetime":
        return _iso_datetime
    if value_type == "date":
        return _date_text
    if value_type == "money":
        return _decimal_text(2)
    if value_type == "percent":
        return _decimal_text(2)
    if value_type == "decimal":
        return _decimal_text(scale if scale is not None else DEFAULT_DECIMAL_SCALE)
    return None


def field_output_converter(field: FieldDef) -> Callable[[Any], Any] | None:
    return output_converter(field.value_type, field.scale)


def decimal_scale(field: FieldDef) -> int:
    """Digits after the point of a decimal, money or percent field."""
    if field.value_type in ("money", "percent"):
        return 2
    return field.scale if field.scale is not None else DEFAULT_DECIMAL_SCALE


def numeric_shape(field: FieldDef) -> tuple[int, int]:
    """(digits in all, digits after the point) of a decimal, money or percent field."""
    return NUMERIC_PRECISION[field.value_type], decimal_scale(field)


def largest_value(field: FieldDef) -> Decimal:
    """The largest magnitude a decimal, money or percent field holds."""
    precision, scale = numeric_shape(field)
    return (Decimal(10) ** precision - 1).scaleb(-scale)
