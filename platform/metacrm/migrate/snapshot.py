"""Describe a schema — the live database's or the wanted MetaData's — in one comparable form.

A ``Snapshot`` maps table names to ``TableSnap``: columns with their type
shape and nullability, indexes (and UNIQUE constraints, which play the same
part) by name, foreign keys.  ``fingerprint`` hashes the parts a migration
manages, so two snapshots that a plan would call equal hash equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from .shapes import TypeShape, shape_of, type_sql

HISTORY_TABLE = "mc_migrations"


@dataclass(frozen=True)
class ColumnSnap:
    name: str
    shape: TypeShape
    nullable: bool
    primary_key: bool = False


@dataclass(frozen=True)
class IndexSnap:
    """An index, or a UNIQUE constraint (``constraint=True``): both are found by name."""

    name: str
    table: str
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool
    constraint: bool = False
    # PostgreSQL: False for an index a failed or interrupted concurrent build left
    # behind; the planner drops it and builds it again.
    valid: bool = True
    include: tuple[str, ...] = ()  # PostgreSQL: columns carried along (INCLUDE)


@dataclass(frozen=True)
class ForeignKeySnap:
    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSnap:
    name: str
    columns: Mapping[str, ColumnSnap]
    indexes: Mapping[str, IndexSnap]
    foreign_keys: tuple[ForeignKeySnap, ...] = ()


Snapshot = Mapping[str, TableSnap]


def is_managed_table(name: str) -> bool:
    """Tables a migration neither creates nor drops: its own history, SQLite's internals."""
    return name != HISTORY_TABLE and not name.startswith("sqlite_")


def reflect_snapshot(conn: Connection) -> dict[str, TableSnap]:
    """Read the live schema (default schema only) through ``sqlalchemy.inspect``."""
    inspector = sa.inspect(conn)
    names = sorted(n for n in inspector.get_table_names() if is_managed_table(n))
    if not names:
        return {}
    dialect = conn.dialect
    columns = _by_table(inspector.get_multi_columns(filter_names=names))
    pks = _by_table(inspector.get_multi_pk_constraint(filter_names=names))
    indexes = _by_table(inspector.get_multi_indexes(filter_names=names))
    uniques = _by_table(inspector.get_multi_unique_constraints(filter_names=names))
    fks = _by_table(inspector.get_multi_foreign_keys(filter_names=names))
    snapshot = {}
    for name in names:
        pk_columns = set((pks.get(name) or {}).get("constrained_columns") or ())
        declared = _declared_minor_units(conn, name) if dialect.name == "sqlite" else {}
        cols = {
            c["name"]: ColumnSnap(
                c["name"],
                shape_of(declared.get(c["name"]) or type_sql(c["type"], dialect), dialect.name),
                bool(c["nullable"]),
                c["name"] in pk_columns,
            )
            for c in columns.get(name, ())
        }
        found: dict[str, IndexSnap] = {}
        for u in uniques.get(name, ()):
            if u.get("name"):
                found[u["name"]] = IndexSnap(
                    u["name"], name, tuple(u["column_names"]), True, constraint=True
                )
        for i in indexes.get(name, ()):
            # PostgreSQL also lists the index behind each UNIQUE constraint.
            if i.get("name") and "duplicates_constraint" not in i and i["name"] not in found:
                options = i.get("dialect_options") or {}
                found[i["name"]] = IndexSnap(
                    i["name"], name, tuple(i["column_names"]), bool(i["unique"]),
                    valid=not options.get("postgresql_invalid", False),
                    include=tuple(options.get("postgresql_include") or ()),
                )
        foreign = tuple(
            ForeignKeySnap(
                f.get("name"),
                tuple(f["constrained_columns"]),
                f["referred_table"],
                tuple(f["referred_columns"]),
            )
            for f in fks.get(name, ())
        )
        snapshot[name] = TableSnap(name, cols, found, foreign)
    return snapshot


def _declared_minor_units(conn: Connection, table: str) -> dict[str, str]:
    """SQLite columns declared MINOR_UNITS(p, s), by name: SQLAlchemy reflects a type it
    does not know by its affinity (NUMERIC), which would hide that the values are
    already whole minor units."""
    quoted = conn.dialect.identifier_preparer.quote(table)
    rows = conn.exec_driver_sql(f"PRAGMA table_info({quoted})").all()
    return {row[1]: row[2] for row in rows if str(row[2]).upper().startswith("MINOR_UNITS")}


def wanted_snapshot(metadata: sa.MetaData, dialect: Dialect) -> dict[str, TableSnap]:
    """The schema ``metadata`` describes, as it would look on ``dialect``."""
    snapshot = {}
    for table in metadata.tables.values():
        if not is_managed_table(table.name):
            continue
        cols = {
            c.name: ColumnSnap(
                c.name,
                shape_of(type_sql(c.type, dialect), dialect.name),
                bool(c.nullable),
                bool(c.primary_key),
            )
            for c in table.columns
        }
        found: dict[str, IndexSnap] = {}
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                name = constraint_name(constraint, dialect)
                if name:
                    found[name] = IndexSnap(
                        name, table.name, tuple(c.name for c in constraint.columns), True, True
                    )
        for index in table.indexes:
            name = constraint_name(index, dialect)
            if name:
                cols_of = tuple(
                    e.name if isinstance(e, sa.Column) else None for e in index.expressions
                )
                include = (tuple(index.dialect_options["postgresql"]["include"] or ())
                           if dialect.name == "postgresql" else ())
                found[name] = IndexSnap(name, table.name, cols_of, bool(index.unique),
                                        include=tuple(str(c) for c in include))
        foreign = tuple(
            ForeignKeySnap(
                constraint_name(fk, dialect),
                tuple(c.name for c in fk.columns),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        )
        snapshot[table.name] = TableSnap(table.name, cols, found, foreign)
    return snapshot


def constraint_name(item: sa.Index | sa.Constraint, dialect: Dialect) -> str | None:
    """The name the DDL will use: naming convention applied, then shortened to the
    dialect's limit as SQLAlchemy does when it compiles (PostgreSQL: 63 characters)."""
    if item.name is None:
        return None
    # ``_alembic_quote=False``: the bare name, as reflection reports it.
    name = dialect.identifier_preparer.format_constraint(item, _alembic_quote=False)
    return str(name) if name else None


def fingerprint(snapshot: Snapshot) -> str:
    """A SHA-256 of what a migration manages: columns (shape, nullability) and indexes."""
    return hashlib.sha256(
        json.dumps(_describe(snapshot), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def _describe(snapshot: Snapshot) -> dict[str, Any]:
    return {
        name: {
            "columns": {c.name: [c.shape.key, c.nullable] for c in table.columns.values()},
            "indexes": {
                i.name: [i.unique, list(i.columns)] + ([] if i.valid else ["invalid"])
                + ([{"include": list(i.include)}] if i.include else [])
                for i in table.indexes.values()
            },
        }
        for name, table in snapshot.items()
    }


def _by_table(found: Mapping[tuple[str | None, str], Any]) -> dict[str, Any]:
    return {table: value for (_schema, table), value in found.items()}


def referencing(snapshot: Snapshot, table: str) -> Iterable[tuple[str, ForeignKeySnap]]:
    """Every (table, foreign key) in ``snapshot`` that points at ``table``."""
    for name, snap in snapshot.items():
        for fk in snap.foreign_keys:
            if fk.referred_table == table:
                yield name, fk
