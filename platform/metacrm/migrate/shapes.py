"""Reduce column types to comparable shapes (kind + size) and classify changes.

Both sides of a comparison go through the same door: the wanted type (from
MetaData) and the reflected type are compiled to DDL for the live dialect and
the DDL text is parsed into a ``TypeShape``.  That removes reflection noise —
PostgreSQL hands back ``VARCHAR(100)``, ``NUMERIC(12, 2)``, ``TIMESTAMP WITH
TIME ZONE``, ``JSONB``; SQLite hands back whatever was declared — so an
unchanged schema compares equal on both databases.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class Change(enum.Enum):
    SAME = "same"
    WIDEN = "widen"
    NARROW = "narrow"
    INCOMPATIBLE = "incompatible"


@dataclass(frozen=True)
class TypeShape:
    """A column type as ``kind`` plus the sizes that matter for that kind.

    ``size`` per kind: string/char ``(length,)`` (``None`` = unbounded);
    integer/float ``(bytes,)``; numeric and minor_units (SQLite's exact decimals,
    kept as whole minor units) ``(precision, scale)`` (``None`` = unbounded);
    datetime/time ``(with_time_zone,)``; other ``(ddl,)``.
    """

    kind: str
    size: tuple[int | bool | str | None, ...] = ()
    sql: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """A stable text for fingerprints: ``string(100)``, ``numeric(12,2)``."""
        return f"{self.kind}({','.join('' if s is None else str(s) for s in self.size)})"

    def __str__(self) -> str:
        return self.sql or self.key


_STRING = {"VARCHAR", "CHARACTER VARYING", "NVARCHAR", "VARCHAR2", "NATIONAL CHARACTER VARYING"}
_TEXT = {"TEXT", "CLOB", "NTEXT", "LONGTEXT", "MEDIUMTEXT", "TINYTEXT"}
_CHAR = {"CHAR", "CHARACTER", "NCHAR", "BPCHAR", "NATIONAL CHARACTER"}
_INTEGER = {
    "SMALLINT": 2,
    "INT2": 2,
    "TINYINT": 2,
    "INTEGER": 4,
    "INT": 4,
    "INT4": 4,
    "MEDIUMINT": 4,
    "BIGINT": 8,
    "INT8": 8,
}
_FLOAT = {"REAL": 4, "FLOAT4": 4, "DOUBLE": 8, "DOUBLE PRECISION": 8, "FLOAT8": 8}
_SIMPLE = {
    "BOOLEAN": "boolean",
    "BOOL": "boolean",
    "DATE": "date",
    "JSON": "json",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "BLOB": "binary",
    "BYTEA": "binary",
    "BINARY": "binary",
    "VARBINARY": "binary",
}
_DDL_TYPE = re.compile(r"^(.*?)\s*(?:\(([^)]*)\))?\s*((?:WITH|WITHOUT|COLLATE)\b.*)?$")


def type_sql(type_: sa.types.TypeEngine[object], dialect: Dialect) -> str:
    """The type as the dialect would declare it (variants and decorators resolved)."""
    try:
        return str(type_.compile(dialect=dialect))
    except sa.exc.CompileError:
        # e.g. NullType: SQLite reflected a declared type SQLAlchemy doesn't know.
        return f"<{type(type_).__name__}>"


def shape_of(sql: str, dialect_name: str) -> TypeShape:
    """Parse a DDL type (as compiled by ``type_sql``) into its shape."""
    text = " ".join(sql.upper().split())
    match = _DDL_TYPE.match(text)
    if not match:
        return TypeShape("other", (text,), sql)
    base, raw_args, rest = match.group(1).strip(), match.group(2), match.group(3) or ""
    args = [a.strip() for a in raw_args.split(",")] if raw_args else []
    nums = [int(a) if a.lstrip("-").isdigit() else None for a in args]
    first = nums[0] if nums else None
    if base in _STRING:
        return TypeShape("string", (first,), sql)
    if base in _TEXT:
        return TypeShape("string", (None,), sql)
    if base in _CHAR and "VARYING" not in rest:
        return TypeShape("char", (first if first is not None else 1,), sql)
    if base in _INTEGER:
        return TypeShape("integer", (_INTEGER[base],), sql)
    if base == "MINOR_UNITS" and len(nums) == 2 and None not in nums:
        return TypeShape("minor_units", (nums[0], nums[1]), sql)
    if base in ("NUMERIC", "DECIMAL"):
        if first is None:
            return TypeShape("numeric", (None, None), sql)
        scale = nums[1] if len(nums) > 1 and nums[1] is not None else 0
        return TypeShape("numeric", (first, scale), sql)
    if base in _FLOAT:
        return TypeShape("float", (_FLOAT[base],), sql)
    if base == "FLOAT":
        return TypeShape("float", (4 if first is not None and first <= 24 else 8,), sql)
    if base in _SIMPLE:
        return TypeShape(_SIMPLE[base], (), sql)
    if base in ("DATETIME", "TIMESTAMP", "TIMESTAMPTZ", "TIME", "TIMETZ"):
        kind = (
            "time" if base.startswith("TIME") and not base.startswith("TIMESTAMP") else "datetime"
        )
        # SQLite stores no zone whatever was declared; comparing it there is noise.
        zoned = dialect_name != "sqlite" and (base.endswith("TZ") or rest.startswith("WITH TIME"))
        return TypeShape(kind, (zoned,), sql)
    return TypeShape("other", (text,), sql)


def compare_shapes(old: TypeShape, new: TypeShape) -> Change:
    """How going from the live ``old`` to the wanted ``new`` shape changes data."""
    if old == new:
        return Change.SAME
    if old.kind != new.kind:
        return Change.INCOMPATIBLE
    if old.kind in ("string", "char", "integer", "float"):
        return Change.WIDEN if _at_least(new.size[0], old.size[0]) else Change.NARROW
    if old.kind in ("numeric", "minor_units"):
        return _compare_numeric(old.size, new.size)
    return Change.INCOMPATIBLE


def _at_least(new: object, old: object) -> bool:
    """``new >= old`` where ``None`` means unbounded."""
    if new is None:
        return True
    if old is None:
        return False
    assert isinstance(new, int) and isinstance(old, int)
    return new >= old


def _compare_numeric(
    old: tuple[int | bool | str | None, ...], new: tuple[int | bool | str | None, ...]
) -> Change:
    if new[0] is None:
        return Change.WIDEN
    if old[0] is None:
        return Change.NARROW
    (op, os_), (np_, ns) = old, new
    assert isinstance(op, int) and isinstance(os_, int)
    assert isinstance(np_, int) and isinstance(ns, int)
    # A widening keeps every digit: as many before the point and after it.
    if np_ - ns >= op - os_ and ns >= os_:
        return Change.WIDEN
    return Change.NARROW


def rewrites_table(old: TypeShape, new: TypeShape) -> bool:
    """Whether PostgreSQL rewrites (or re-checks) every row to change ``old`` into ``new``.

    Only binary-compatible changes are catalog-only: a longer or unbounded
    varchar (or text), and more precision for a numeric of the same scale.
    Anything else, such as integer to bigint, copies the whole table.
    """
    if old.kind == new.kind == "string":
        return not _at_least(new.size[0], old.size[0])
    if old.kind == new.kind == "numeric":
        if new.size == (None, None):
            return False
        return old.size[1] != new.size[1] or not _at_least(new.size[0], old.size[0])
    return old != new


def integer_bounds(shape: TypeShape) -> tuple[int, int] | None:
    """The range an integer shape holds, for checking a narrowing."""
    if shape.kind != "integer" or not isinstance(shape.size[0], int):
        return None
    bits = 8 * shape.size[0]
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


SQLITE_AFFINITY_RULES = (
    ("INT", "INTEGER"),
    ("CHAR", "TEXT"),
    ("CLOB", "TEXT"),
    ("TEXT", "TEXT"),
    ("BLOB", "BLOB"),
    ("REAL", "REAL"),
    ("FLOA", "REAL"),
    ("DOUB", "REAL"),
)


def sqlite_affinity(declared: str) -> str:
    """SQLite's column affinity for a declared type (section 3.1 of its docs)."""
    upper = declared.upper()
    if not upper.strip():
        return "BLOB"
    for needle, affinity in SQLITE_AFFINITY_RULES:
        if needle in upper:
            return affinity
    return "NUMERIC"
