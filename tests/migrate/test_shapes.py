"""Type shapes: reflection noise compares equal, changes are classified."""

from __future__ import annotations

import pytest

from metacrm.migrate.shapes import Change, compare_shapes, shape_of, sqlite_affinity


@pytest.mark.parametrize(
    ("sql", "key"),
    [
        ("VARCHAR(100)", "string(100)"),
        ("CHARACTER VARYING(100)", "string(100)"),
        ("VARCHAR", "string()"),
        ("TEXT", "string()"),
        ("CHAR(3)", "char(3)"),
        ("SMALLINT", "integer(2)"),
        ("INTEGER", "integer(4)"),
        ("BIGINT", "integer(8)"),
        ("NUMERIC(12, 2)", "numeric(12,2)"),
        ("DECIMAL(12,2)", "numeric(12,2)"),
        ("NUMERIC(10)", "numeric(10,0)"),
        ("NUMERIC", "numeric(,)"),
        ("REAL", "float(4)"),
        ("FLOAT", "float(8)"),
        ("DOUBLE PRECISION", "float(8)"),
        ("TIMESTAMP WITH TIME ZONE", "datetime(True)"),
        ("TIMESTAMP", "datetime(False)"),
        ("TIMESTAMP(6) WITHOUT TIME ZONE", "datetime(False)"),
        ("JSON", "json()"),
        ("JSONB", "jsonb()"),
        ("BOOLEAN", "boolean()"),
        ('VARCHAR(10) COLLATE "C"', "string(10)"),
        ("mood", "other(MOOD)"),
    ],
)
def test_postgresql_spellings(sql: str, key: str) -> None:
    assert shape_of(sql, "postgresql").key == key


def test_sqlite_keeps_no_time_zone() -> None:
    assert shape_of("TIMESTAMP WITH TIME ZONE", "sqlite") == shape_of("DATETIME", "sqlite")


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        ("VARCHAR(100)", "VARCHAR(100)", Change.SAME),
        ("VARCHAR(100)", "VARCHAR(200)", Change.WIDEN),
        ("VARCHAR(100)", "TEXT", Change.WIDEN),
        ("TEXT", "VARCHAR(100)", Change.NARROW),
        ("VARCHAR(200)", "VARCHAR(100)", Change.NARROW),
        ("INTEGER", "BIGINT", Change.WIDEN),
        ("BIGINT", "INTEGER", Change.NARROW),
        ("NUMERIC(12, 2)", "NUMERIC(14, 4)", Change.WIDEN),
        ("NUMERIC(12, 2)", "NUMERIC", Change.WIDEN),
        ("NUMERIC(12, 2)", "NUMERIC(12, 4)", Change.NARROW),  # two fewer digits before the point
        ("NUMERIC(12, 4)", "NUMERIC(12, 2)", Change.NARROW),
        ("INTEGER", "VARCHAR(20)", Change.INCOMPATIBLE),
        ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", Change.INCOMPATIBLE),
        ("JSON", "JSONB", Change.INCOMPATIBLE),
        ("DATE", "TIMESTAMP", Change.INCOMPATIBLE),
    ],
)
def test_changes_are_classified(old: str, new: str, change: Change) -> None:
    assert compare_shapes(shape_of(old, "postgresql"), shape_of(new, "postgresql")) is change


@pytest.mark.parametrize(
    ("declared", "affinity"),
    [
        ("VARCHAR(10)", "TEXT"),
        ("TEXT", "TEXT"),
        ("BIGINT", "INTEGER"),
        ("NUMERIC(1, 2)", "NUMERIC"),
        ("DATETIME", "NUMERIC"),
        ("FLOAT", "REAL"),
        ("BLOB", "BLOB"),
        ("", "BLOB"),
    ],
)
def test_sqlite_affinity(declared: str, affinity: str) -> None:
    assert sqlite_affinity(declared) == affinity
