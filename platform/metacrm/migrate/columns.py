"""Decide what becomes of one column — add, alter, drop — or why it is refused.

Each function looks at one column of an existing table (reading rows where
the answer depends on the data) and returns actions and refusals; the
planner only sorts them into order.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import checks, ddl
from .actions import (
    ALLOW_HINT,
    Action,
    AddColumn,
    AlterColumnType,
    AlterNullable,
    DropColumn,
    Refusal,
    StoreMinorUnits,
)
from .shapes import Change, TypeShape, compare_shapes, sqlite_affinity, type_sql
from .snapshot import ColumnSnap, TableSnap

# What SQLite accepts as the default of a column added to an existing table.
_SQLITE_CONSTANT = re.compile(
    r"^\s*(NULL|TRUE|FALSE|[+-]?\d+(\.\d*)?([eE][+-]?\d+)?|'([^']|'')*'|[xX]'[0-9a-fA-F]*')\s*$"
)


def add_column(conn: Connection, column: sa.Column[object]) -> Action | Refusal:
    """A column the MetaData has and the table lacks."""
    dialect, sqlite = conn.dialect, conn.dialect.name == "sqlite"
    table = column.table.name
    subject = f"add column {table}.{column.name}"
    default = ddl.server_default_sql(column, dialect)
    fks = [fk.constraint for fk in column.foreign_keys if fk.constraint is not None]
    if column.primary_key:
        return Refusal(subject, "a primary-key column can only be created with its table")
    if any(len(fk.columns) > 1 for fk in fks):
        return Refusal(
            subject, "a foreign key over several columns can only be created with its table"
        )
    if not column.nullable and default is None and checks.has_rows(conn, table):
        return Refusal(
            subject,
            f"it is NOT NULL without a server default and {table} has "
            f"{checks.count_rows(conn, table)} rows, so there is no value to fill them with",
            "give the field a default, or add it as optional and make it required "
            "once every row has a value",
        )
    if sqlite and default is not None and not _SQLITE_CONSTANT.match(default):
        return Refusal(
            subject, f"SQLite can only add a column whose default is a constant, not {default}"
        )
    if sqlite and fks and default is not None and default.strip().upper() != "NULL":
        return Refusal(
            subject, "SQLite cannot add a column with a foreign key and a non-NULL default"
        )
    references = ", ".join(
        f"{fk.elements[0].column.table.name} ({fk.elements[0].column.name})" for fk in fks
    )
    return AddColumn(
        table=table,
        column=column.name,
        sql=(ddl.add_column(column, dialect),),
        type=type_sql(column.type, dialect),
        nullable=bool(column.nullable),
        default=default,
        references=references or None,
    )


def alter_column(
    conn: Connection, table: str, live: ColumnSnap, want: ColumnSnap, allow_destructive: bool
) -> list[Action | Refusal]:
    """A column both have: its type, then its nullability."""
    return [
        *_alter_type(conn, table, live, want, allow_destructive),
        *_alter_nullable(conn, table, live, want),
    ]


def _alter_type(
    conn: Connection, table: str, live: ColumnSnap, want: ColumnSnap, allow_destructive: bool
) -> list[Action | Refusal]:
    sqlite = conn.dialect.name == "sqlite"
    name = f"{table}.{live.name}"
    old, new = live.shape, want.shape
    change = compare_shapes(old, new)
    if sqlite and live.primary_key and old.kind == new.kind == "integer":
        return []  # every SQLite integer is 64-bit, and the rowid alias must stay as it is
    if sqlite and new.kind == "minor_units" and (old.kind == "numeric" or (
            old.kind == "minor_units" and old.size[1] != new.size[1])):
        return [_store_minor_units(conn, table, live, new, allow_destructive)]
    widen_or_narrow = change in (Change.WIDEN, Change.NARROW)
    if widen_or_narrow and sqlite and sqlite_affinity(old.sql) != sqlite_affinity(new.sql):
        change = Change.INCOMPATIBLE
    if change is Change.SAME:
        return []
    if change is Change.INCOMPATIBLE:
        return [
            Refusal(
                f"change column {name} {old} -> {new}",
                "the types are incompatible, so existing values cannot be kept",
                "to replace the column, remove the field and migrate (with --allow-destructive), "
                "then add it back with the new type; or convert the data yourself",
            )
        ]
    subject = f"narrow column {name} {old} -> {new}"
    lossless = change is Change.NARROW and _keeps_every_place(old, new)
    if change is Change.NARROW and not (allow_destructive or lossless):
        return [
            Refusal(
                subject,
                "values that do not fit the smaller type would be rejected or rounded",
                ALLOW_HINT,
            )
        ]
    misfits = checks.count_misfits(conn, table, live.name, new)
    if misfits:
        return [
            Refusal(
                subject,
                f"{misfits} rows hold values that do not fit {new}",
                "shorten or correct them first",
            )
        ]
    return [
        AlterColumnType(
            table=table,
            column=live.name,
            old=str(old),
            new=new.sql,
            widen=change is Change.WIDEN,
            lossless=lossless,
            target=new,
            source=old,
            # SQLite: no ALTER COLUMN; the action rewrites the declaration in place.
            sql=() if sqlite else (ddl.alter_type(table, live.name, new.sql, conn.dialect),),
        )
    ]


def _keeps_every_place(old: TypeShape, new: TypeShape) -> bool:
    """A numeric narrowing that only lowers the digits before the point: no value
    changes as long as each fits, which the plan checks before doing it."""
    return (old.kind == new.kind and old.kind in ("numeric", "minor_units")
            and isinstance(old.size[1], int) and isinstance(new.size[1], int)
            and new.size[1] >= old.size[1])


def _store_minor_units(conn: Connection, table: str, live: ColumnSnap, new: TypeShape,
                       allow_destructive: bool) -> Action | Refusal:
    old = live.shape
    scale = new.size[1]
    assert isinstance(scale, int)
    from_scale = old.size[1] if old.kind == "minor_units" else None
    action = StoreMinorUnits(table=table, column=live.name, old=str(old), new=new.sql,
                             scale=scale, from_scale=from_scale,  # type: ignore[arg-type]
                             target=new)
    subject = action.describe()
    if action.destructive and not allow_destructive:
        return Refusal(subject, "values with more places than the new scale would be rounded",
                       ALLOW_HINT)
    if from_scale is None:
        fits = TypeShape("numeric", (new.size[0], scale))
        misfits = checks.count_misfits(conn, table, live.name, fits)
        if misfits:
            return Refusal(subject, f"{misfits} rows hold values that do not fit {new}",
                           "shorten or correct them first")
    return action


def _alter_nullable(
    conn: Connection, table: str, live: ColumnSnap, want: ColumnSnap
) -> list[Action | Refusal]:
    if live.primary_key or live.nullable == want.nullable:
        return []
    if not want.nullable:
        nulls = checks.count_nulls(conn, table, live.name)
        if nulls:
            return [
                Refusal(
                    f"set column {table}.{live.name} NOT NULL",
                    f"{nulls} rows have no value in it",
                    "fill them in first, or keep the field optional",
                )
            ]
    sqlite = conn.dialect.name == "sqlite"
    return [
        AlterNullable(
            table=table,
            column=live.name,
            nullable=want.nullable,
            sql=()
            if sqlite
            else (ddl.alter_nullable(table, live.name, want.nullable, conn.dialect),),
        )
    ]


def drop_column(
    conn: Connection, live: TableSnap, column: str, allow_destructive: bool
) -> Action | Refusal:
    """A column the table has and the MetaData no longer defines."""
    values = checks.count_values(conn, live.name, column)
    subject = f"drop column {live.name}.{column}"
    if not allow_destructive:
        return Refusal(
            subject,
            f"it is no longer defined; dropping it deletes its data ({values} non-empty values)",
            ALLOW_HINT,
        )
    if live.columns[column].primary_key:
        return Refusal(subject, "it is part of the primary key")
    if conn.dialect.name == "sqlite":
        held = [i.name for i in live.indexes.values() if i.constraint and column in i.columns]
        if held:
            return Refusal(
                subject,
                f"SQLite cannot drop a column of a UNIQUE constraint ({', '.join(held)})",
                "rebuild the table by hand (create, copy, rename)",
            )
    return DropColumn(
        table=live.name,
        column=column,
        values=values,
        sql=(ddl.drop_column(live.name, column, conn.dialect),),
    )
