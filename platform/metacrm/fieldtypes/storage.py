"""Column types that field types store their values in, the same on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# An empty value is SQL NULL, not the JSON value null, so that isnull filters work.
JSON_TYPE = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                   "postgresql")
DEFAULT_STRING_LENGTH = 255
# PostgreSQL's type of a ``timestamp with time zone`` result column (the driver's type_code).
TIMESTAMPTZ_OID = 1184


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

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        # A PostgreSQL timestamptz comes from the driver with its offset already: no
        # call per value (an approval decision reads about eighty of them).
        if dialect.name == "postgresql" and coltype == TIMESTAMPTZ_OID:
            return None
        return super().result_processor(dialect, coltype)


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

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name == "sqlite":
            return super().result_processor(dialect, coltype)
        # PostgreSQL's driver reads NUMERIC as a Decimal already: no Python call per
        # value (a pivot's sums are thousands of them); a float column, if one ever
        # comes back, still goes through Numeric's own conversion
        return self.load_dialect_impl(dialect).result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)

    def coerce_compared_value(self, op: Any, value: Any) -> sa.types.TypeEngine[Any]:
        # Whatever it is compared with is bound as this type, so also scaled on SQLite.
        return self
