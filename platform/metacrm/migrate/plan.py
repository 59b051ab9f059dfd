"""Diff a live database against compiled MetaData into a ``MigrationPlan``.

Planning only reads: it reflects the database, compares it with what the
MetaData wants (``snapshot.py``), counts the rows a risky change would touch
(``checks.py``) and turns each difference into an action or a refusal.
Actions come out in the order they can run: drop stale indexes, create
tables, add columns, alter columns, add indexes, drop columns, drop tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import checks, ddl
from .actions import (
    Action,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumnType,
    AlterNullable,
    CreateTable,
    DropColumn,
    DropIndex,
    DropTable,
    Refusal,
)
from .shapes import Change, compare_shapes, sqlite_affinity, type_sql
from .snapshot import (
    ColumnSnap,
    IndexSnap,
    TableSnap,
    constraint_name,
    fingerprint,
    is_managed_table,
    referencing,
    reflect_snapshot,
    wanted_snapshot,
)

ALLOW_HINT = "allow destructive changes to do it (metacrm migrate --allow-destructive)"
_PHASES = (
    "drop_index",
    "create_table",
    "add_column",
    "alter",
    "add_index",
    "drop_column",
    "drop_table",
)
# What SQLite accepts as the default of a column added to an existing table.
_SQLITE_CONSTANT = re.compile(
    r"^\s*(NULL|TRUE|FALSE|[+-]?\d+(\.\d*)?([eE][+-]?\d+)?|'([^']|'')*'|[xX]'[0-9a-fA-F]*')\s*$"
)


@dataclass(frozen=True)
class MigrationPlan:
    """What ``apply_migration`` would do to one database, and what it won't."""

    actions: tuple[Action, ...]
    refusals: tuple[Refusal, ...]
    dialect: str
    source_fingerprint: str  # the live schema the plan was made against
    target_fingerprint: str  # the schema the MetaData describes
    allow_destructive: bool = False

    @property
    def is_empty(self) -> bool:
        """Nothing to do and nothing refused: the database matches the MetaData."""
        return not self.actions and not self.refusals

    @property
    def destructive(self) -> bool:
        return any(a.destructive for a in self.actions)

    def describe(self) -> list[str]:
        return [a.describe() for a in self.actions] + [
            f"REFUSED: {r.describe()}" for r in self.refusals
        ]

    def statements(self) -> list[str]:
        """The SQL the actions run, for ``--dry-run`` (SQLite's in-place edits show none)."""
        return [s for a in self.actions for s in a.statements]


def plan_migration(
    engine: Engine, metadata: sa.MetaData, *, allow_destructive: bool = False
) -> MigrationPlan:
    """Compare the database behind ``engine`` with ``metadata``; change nothing."""
    with engine.connect() as conn:
        return plan_migration_in(conn, metadata, allow_destructive=allow_destructive)


def plan_migration_in(
    conn: Connection, metadata: sa.MetaData, *, allow_destructive: bool = False
) -> MigrationPlan:
    """The same, on a connection the caller holds (e.g. inside its own transaction)."""
    return _Planner(conn, metadata, allow_destructive).plan()


class _Planner:
    def __init__(self, conn: Connection, metadata: sa.MetaData, allow_destructive: bool):
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = conn.dialect.name == "sqlite"
        self.allow = allow_destructive
        self.live = reflect_snapshot(conn)
        self.want = wanted_snapshot(metadata, conn.dialect)
        self.tables = {n: t for n, t in metadata.tables.items() if is_managed_table(n)}
        self.steps: dict[str, list[Action]] = {phase: [] for phase in _PHASES}
        self.refusals: list[Refusal] = []

    def plan(self) -> MigrationPlan:
        self._create_tables([t for n, t in self.tables.items() if n not in self.live])
        for name, table in sorted(self.tables.items()):
            if name in self.live:
                self._compare_table(table, self.live[name], self.want[name])
        self._drop_tables([n for n in self.live if n not in self.want])
        return MigrationPlan(
            actions=tuple(a for phase in _PHASES for a in self.steps[phase]),
            refusals=tuple(self.refusals),
            dialect=self.dialect.name,
            source_fingerprint=fingerprint(self.live),
            target_fingerprint=fingerprint(self.want),
            allow_destructive=self.allow,
        )

    def _refuse(self, subject: str, reason: str, remedy: str = "") -> None:
        self.refusals.append(Refusal(subject, reason, remedy))

    def _create_tables(self, tables: list[sa.Table]) -> None:
        """Referenced tables first; foreign keys in a cycle added once all exist."""
        order = sa.schema.sort_tables_and_constraints(tables)
        # The (None, constraints) entry holds the foreign keys that form cycles.
        # SQLite accepts a REFERENCES to a table it hasn't seen yet: keep them inline.
        later = [] if self.sqlite else [fk for t, fks in order if t is None for fk in fks]
        for table, _fks in order:
            if table is not None:
                self.steps["create_table"].append(
                    CreateTable(
                        table=table.name,
                        sql=ddl.create_table(table, self.dialect, later=later),
                        columns=len(table.columns),
                        indexes=len(table.indexes),
                    )
                )
        for fk in later:
            target = fk.elements[0].column
            self.steps["create_table"].append(
                AddForeignKey(
                    table=fk.table.name,
                    name=constraint_name(fk, self.dialect) or "",
                    references=f"{target.table.name} ({', '.join(e.column.name for e in fk.elements)})",
                    sql=(ddl.add_foreign_key(fk, self.dialect),),
                )
            )

    def _compare_table(self, table: sa.Table, live: TableSnap, want: TableSnap) -> None:
        for column in table.columns:
            if column.name not in live.columns:
                self._add_column(column)
            else:
                self._alter_column(table.name, live.columns[column.name], want.columns[column.name])
        for name in live.columns:
            if name not in want.columns:
                self._drop_column(live, name)
        self._compare_indexes(table, live, want)

    # --- columns ---------------------------------------------------------------

    def _add_column(self, column: sa.Column[object]) -> None:
        table = column.table.name
        subject = f"add column {table}.{column.name}"
        default = ddl.server_default_sql(column, self.dialect)
        fks = [fk.constraint for fk in column.foreign_keys if fk.constraint is not None]
        if column.primary_key:
            return self._refuse(subject, "a primary-key column can only be created with its table")
        if any(len(fk.columns) > 1 for fk in fks):
            return self._refuse(
                subject, "a foreign key over several columns can only be created with its table"
            )
        if not column.nullable and default is None and checks.has_rows(self.conn, table):
            rows = checks.count_rows(self.conn, table)
            return self._refuse(
                subject,
                f"it is NOT NULL without a server default and {table} has {rows} rows, "
                "so there is no value to fill them with",
                "give the field a default, or add it as optional and make it required "
                "once every row has a value",
            )
        if self.sqlite and default is not None and not _SQLITE_CONSTANT.match(default):
            return self._refuse(
                subject, f"SQLite can only add a column whose default is a constant, not {default}"
            )
        if self.sqlite and fks and default is not None and default.strip().upper() != "NULL":
            return self._refuse(
                subject, "SQLite cannot add a column with a foreign key and a non-NULL default"
            )
        references = ", ".join(
            f"{fk.elements[0].column.table.name} ({fk.elements[0].column.name})" for fk in fks
        )
        self.steps["add_column"].append(
            AddColumn(
                table=table,
                column=column.name,
                sql=(ddl.add_column(column, self.dialect),),
                type=type_sql(column.type, self.dialect),
                nullable=bool(column.nullable),
                default=default,
                references=references or None,
            )
        )

    def _alter_column(self, table: str, live: ColumnSnap, want: ColumnSnap) -> None:
        name = f"{table}.{live.name}"
        old, new = live.shape, want.shape
        change = compare_shapes(old, new)
        if self.sqlite and live.primary_key and old.kind == new.kind == "integer":
            change = Change.SAME  # every SQLite integer is 64-bit; the rowid must stay as is
        if (
            change in (Change.WIDEN, Change.NARROW)
            and self.sqlite
            and (sqlite_affinity(old.sql) != sqlite_affinity(new.sql))
        ):
            change = Change.INCOMPATIBLE
        subject = f"change column {name} {old} -> {new}"
        if change is Change.INCOMPATIBLE:
            self._refuse(
                subject,
                "the types are incompatible, so existing values cannot be kept",
                "to replace the column, remove the field and migrate (with --allow-destructive), "
                "then add it back with the new type; or convert the data yourself",
            )
        elif change is Change.NARROW and not self.allow:
            self._refuse(
                f"narrow column {name} {old} -> {new}",
                "values that do not fit the smaller type would be rejected or rounded",
                ALLOW_HINT,
            )
        elif change is not Change.SAME:
            misfits = checks.count_misfits(self.conn, table, live.name, new)
            if misfits:
                return self._refuse(
                    f"narrow column {name} {old} -> {new}",
                    f"{misfits} rows hold values that do not fit {new}",
                    "shorten or correct them first",
                )
            self.steps["alter"].append(
                AlterColumnType(
                    table=table,
                    column=live.name,
                    old=str(old),
                    new=new.sql,
                    widen=change is Change.WIDEN,
                    target=new,
                    sql=()
                    if self.sqlite
                    else (ddl.alter_type(table, live.name, new.sql, self.dialect),),
                )
            )
        if live.primary_key or live.nullable == want.nullable:
            return
        if not want.nullable:
            nulls = checks.count_nulls(self.conn, table, live.name)
            if nulls:
                return self._refuse(
                    f"set column {name} NOT NULL",
                    f"{nulls} rows have no value in it",
                    "fill them in first, or keep the field optional",
                )
        self.steps["alter"].append(
            AlterNullable(
                table=table,
                column=live.name,
                nullable=want.nullable,
                sql=()
                if self.sqlite
                else (ddl.alter_nullable(table, live.name, want.nullable, self.dialect),),
            )
        )

    def _drop_column(self, live: TableSnap, column: str) -> None:
        values = checks.count_values(self.conn, live.name, column)
        subject = f"drop column {live.name}.{column}"
        if not self.allow:
            return self._refuse(
                subject,
                f"it is no longer defined; dropping it deletes its data ({values} non-empty values)",
                ALLOW_HINT,
            )
        if live.columns[column].primary_key:
            return self._refuse(subject, "it is part of the primary key")
        if self.sqlite:
            held = [i.name for i in live.indexes.values() if i.constraint and column in i.columns]
            if held:
                return self._refuse(
                    subject,
                    f"SQLite cannot drop a column of a UNIQUE constraint ({', '.join(held)})",
                    "rebuild the table by hand (create, copy, rename)",
                )
        self.steps["drop_column"].append(
            DropColumn(
                table=live.name,
                column=column,
                values=values,
                sql=(ddl.drop_column(live.name, column, self.dialect),),
            )
        )

    # --- indexes ---------------------------------------------------------------

    def _compare_indexes(self, table: sa.Table, live: TableSnap, want: TableSnap) -> None:
        for name, wanted in sorted(want.indexes.items()):
            found = live.indexes.get(name)
            if found is not None and _same_index(found, wanted):
                continue
            if found is not None and found.constraint:
                continue  # a constraint of that name we cannot rebuild; leave it be
            if found is not None:
                self._drop_index(found)
            self._add_index(table, wanted)
        for name, found in sorted(live.indexes.items()):
            if name not in want.indexes and not found.constraint:
                self._drop_index(found)

    def _add_index(self, table: sa.Table, wanted: IndexSnap) -> None:
        index = next(
            (i for i in table.indexes if constraint_name(i, self.dialect) == wanted.name), None
        )
        columns = tuple(c or "(expression)" for c in wanted.columns)
        if index is None:  # a UNIQUE constraint added to an existing table
            sql = ddl.create_unique_index(wanted.name, table, columns, self.dialect)
            where = None
        else:
            sql, where = ddl.create_index(index, self.dialect), self._where(index)
        self.steps["add_index"].append(
            AddIndex(
                table=table.name,
                name=wanted.name,
                columns=columns,
                unique=wanted.unique,
                where=where,
                sql=(sql,),
            )
        )

    def _where(self, index: sa.Index) -> str | None:
        clause = index.dialect_kwargs.get(f"{self.dialect.name}_where")
        if clause is None:
            return None
        if isinstance(clause, str):
            return clause
        # As CREATE INDEX renders it: bare column names, literal values.
        compiler = self.dialect.ddl_compiler(self.dialect, None).sql_compiler
        return ddl.readable(
            str(compiler.process(clause, include_table=False, literal_binds=True)), self.dialect
        )

    def _drop_index(self, found: IndexSnap) -> None:
        self.steps["drop_index"].append(
            DropIndex(
                table=found.table,
                name=found.name,
                sql=(ddl.drop_index(found.name, self.dialect),),
            )
        )

    # --- tables ----------------------------------------------------------------

    def _drop_tables(self, names: list[str]) -> None:
        gone = set(names)
        for name in _children_first(self.live, gone):
            rows = checks.count_rows(self.conn, name)
            subject = f"drop table {name}"
            if not self.allow:
                self._refuse(
                    subject,
                    f"it is in the database but not in the definitions and holds {rows} rows",
                    ALLOW_HINT + ", or define the entity again to keep it",
                )
                continue
            holders = [
                f"{other}.{', '.join(fk.columns)}"
                for other, fk in referencing(self.live, name)
                if other not in gone and set(fk.columns) <= set(self.want[other].columns)
            ]
            if holders:
                self._refuse(subject, f"{', '.join(holders)} still references it")
                continue
            self.steps["drop_table"].append(
                DropTable(
                    table=name,
                    rows=rows,
                    sql=(ddl.drop_table(name, self.dialect),),
                )
            )


def _same_index(live: IndexSnap, want: IndexSnap) -> bool:
    if live.unique != want.unique:
        return False
    # Expression indexes reflect unevenly; their name is all we compare.
    if None in live.columns or None in want.columns:
        return True
    return live.columns == want.columns


def _children_first(live: dict[str, TableSnap], gone: Iterable[str]) -> list[str]:
    """Tables to drop, each before any table it references."""
    pending = sorted(gone)
    ordered: list[str] = []
    while pending:
        free = [
            t
            for t in pending
            if not any(
                fk.referred_table == t for o in pending if o != t for fk in live[o].foreign_keys
            )
        ] or pending[:1]  # a cycle: break it anywhere, the database will say if it minds
        ordered.extend(free)
        pending = [t for t in pending if t not in free]
    return ordered
