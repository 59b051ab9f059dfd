"""Diff a live database against compiled MetaData into a ``MigrationPlan``.

Planning only reads: it reflects the database, compares it with what the
MetaData wants (``snapshot.py``), counts the rows a risky change would touch
(``checks.py``) and turns each difference into an action or a refusal.
Actions come out in the order they can run: drop stale indexes, create
tables, add columns, alter columns, add indexes, drop columns, drop tables.

With ``concurrent_indexes`` on PostgreSQL, an index of a table that already
exists is built ``CONCURRENTLY``, after the transaction that runs the other
actions (``MigrationPlan.concurrent``): the table's writes go on meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import checks, columns, ddl
from .actions import (
    ALLOW_HINT,
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
    StoreMinorUnits,
)
from .snapshot import (
    IndexSnap,
    TableSnap,
    constraint_name,
    fingerprint,
    is_managed_table,
    referencing,
    reflect_snapshot,
    wanted_snapshot,
)

# The order actions run in: each phase may need what an earlier one made
# (indexes need their columns) or removed (SQLite drops no indexed column).
_PHASES: tuple[tuple[type[Action], ...], ...] = (
    (DropIndex,),
    (CreateTable, AddForeignKey),
    (AddColumn,),
    (AlterColumnType, StoreMinorUnits, AlterNullable),
    (AddIndex,),
    (DropColumn,),
    (DropTable,),
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

    @property
    def concurrent(self) -> tuple[Action, ...]:
        """The actions run after the transaction commits (PostgreSQL's concurrent builds)."""
        return tuple(a for a in self.actions if a.concurrent)

    def in_transaction(self) -> MigrationPlan:
        """This plan without its concurrent actions: what one transaction runs."""
        return replace(self, actions=tuple(a for a in self.actions if not a.concurrent))

    def describe(self) -> list[str]:
        return [a.describe() for a in self.actions] + [
            f"REFUSED: {r.describe()}" for r in self.refusals
        ]

    def explain(self) -> list[str]:
        """``describe()`` with, under each action, what it locks and for how long."""
        lines, held = [], frozenset[str]()
        for action in self.actions:
            lines += [action.describe(), f"    locks: {action.locks(self.dialect, held)}"]
            if not action.concurrent:
                held |= action.exclusive
        return lines + [f"REFUSED: {r.describe()}" for r in self.refusals]

    def statements(self) -> list[str]:
        """The SQL the actions run, for ``--dry-run`` (SQLite's in-place edits show none)."""
        return [s for a in self.actions for s in a.statements]


def plan_migration(
    engine: Engine,
    metadata: sa.MetaData,
    *,
    allow_destructive: bool = False,
    concurrent_indexes: bool = False,
) -> MigrationPlan:
    """Compare the database behind ``engine`` with ``metadata``; change nothing.

    ``concurrent_indexes`` (PostgreSQL): build the indexes of existing tables
    concurrently, after the transaction; without it the plan is one transaction.
    """
    with engine.connect() as conn:
        return plan_migration_in(
            conn,
            metadata,
            allow_destructive=allow_destructive,
            concurrent_indexes=concurrent_indexes,
        )


def plan_migration_in(
    conn: Connection,
    metadata: sa.MetaData,
    *,
    allow_destructive: bool = False,
    concurrent_indexes: bool = False,
) -> MigrationPlan:
    """The same, on a connection the caller holds (e.g. inside its own transaction)."""
    return _Planner(conn, metadata, allow_destructive, concurrent_indexes).plan()


class _Planner:
    def __init__(
        self,
        conn: Connection,
        metadata: sa.MetaData,
        allow_destructive: bool,
        concurrent_indexes: bool = False,
    ):
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = conn.dialect.name == "sqlite"
        self.concurrently = concurrent_indexes and conn.dialect.name == "postgresql"
        self.allow = allow_destructive
        self.live = reflect_snapshot(conn)
        self.want = wanted_snapshot(metadata, conn.dialect)
        self.tables = {n: t for n, t in metadata.tables.items() if is_managed_table(n)}
        self.actions: list[Action] = []
        self.refusals: list[Refusal] = []

    def plan(self) -> MigrationPlan:
        self._create_tables([t for n, t in self.tables.items() if n not in self.live])
        for name, table in sorted(self.tables.items()):
            if name in self.live:
                self._compare_table(table, self.live[name], self.want[name])
        self._drop_tables([n for n in self.live if n not in self.want])
        return MigrationPlan(
            # A stable sort: within a phase, actions keep the order they were found.
            actions=tuple(sorted(self.actions, key=_phase)),
            refusals=tuple(self.refusals),
            dialect=self.dialect.name,
            source_fingerprint=fingerprint(self.live),
            target_fingerprint=fingerprint(self.want),
            allow_destructive=self.allow,
        )

    def _add(self, *found: Action | Refusal) -> None:
        for item in found:
            if isinstance(item, Refusal):
                self.refusals.append(item)
            else:
                self.actions.append(item)

    def _create_tables(self, tables: list[sa.Table]) -> None:
        """Referenced tables first; foreign keys in a cycle added once all exist."""
        order = sa.schema.sort_tables_and_constraints(tables)
        # The (None, constraints) entry holds the foreign keys that form cycles.
        # SQLite accepts a REFERENCES to a table it hasn't seen yet: keep them inline.
        later = [] if self.sqlite else [fk for t, fks in order if t is None for fk in fks]
        for table, _fks in order:
            if table is not None:
                self._add(
                    CreateTable(
                        table=table.name,
                        sql=ddl.create_table(table, self.dialect, later=later),
                        columns=len(table.columns),
                        indexes=len(table.indexes),
                        references=tuple(
                            sorted({fk.referred_table.name for fk in table.foreign_key_constraints})
                        ),
                    )
                )
        for fk in later:
            target = fk.elements[0].column.table.name
            referred = ", ".join(e.column.name for e in fk.elements)
            self._add(
                AddForeignKey(
                    table=fk.table.name,
                    name=constraint_name(fk, self.dialect) or "",
                    references=f"{target} ({referred})",
                    sql=(ddl.add_foreign_key(fk, self.dialect),),
                )
            )

    def _compare_table(self, table: sa.Table, live: TableSnap, want: TableSnap) -> None:
        for column in table.columns:
            if column.name not in live.columns:
                self._add(columns.add_column(self.conn, column))
            else:
                self._add(
                    *columns.alter_column(
                        self.conn,
                        table.name,
                        live.columns[column.name],
                        want.columns[column.name],
                        self.allow,
                    )
                )
        for name in live.columns:
            if name not in want.columns:
                self._add(columns.drop_column(self.conn, live, name, self.allow))
        self._compare_indexes(table, live, want)

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
        # Only existing tables get here: a new table's indexes come with CREATE TABLE.
        now = self.concurrently
        if index is None:  # a UNIQUE constraint added to an existing table
            sql = ddl.create_unique_index(
                wanted.name, table, columns, self.dialect, concurrently=now
            )
            where = None
        else:
            sql = ddl.create_index(index, self.dialect, concurrently=now)
            where = self._where(index)
        self._add(
            AddIndex(
                table=table.name,
                name=wanted.name,
                columns=columns,
                unique=wanted.unique,
                where=where,
                sql=(sql,),
                concurrently=now,
            )
        )

    def _where(self, index: sa.Index) -> str | None:
        clause = index.dialect_kwargs.get(f"{self.dialect.name}_where")
        if clause is None:
            return None
        if isinstance(clause, str):
            return clause
        # As CREATE INDEX renders it: bare column names, literal values.
        compiler = ddl.ddl_compiler(self.dialect).sql_compiler
        return ddl.readable(
            str(compiler.process(clause, include_table=False, literal_binds=True)), self.dialect
        )

    def _drop_index(self, found: IndexSnap) -> None:
        self._add(
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
                self._add(
                    Refusal(
                        subject,
                        f"it is in the database but not in the definitions and holds {rows} rows",
                        ALLOW_HINT + ", or define the entity again to keep it",
                    )
                )
                continue
            holders = [
                f"{other}.{', '.join(fk.columns)}"
                for other, fk in referencing(self.live, name)
                if other not in gone and set(fk.columns) <= set(self.want[other].columns)
            ]
            if holders:
                self._add(Refusal(subject, f"{', '.join(holders)} still references it"))
                continue
            self._add(
                DropTable(
                    table=name,
                    rows=rows,
                    sql=(ddl.drop_table(name, self.dialect),),
                )
            )


def _phase(action: Action) -> int:
    return next(i for i, kinds in enumerate(_PHASES) if isinstance(action, kinds))


def _same_index(live: IndexSnap, want: IndexSnap) -> bool:
    if live.unique != want.unique or not live.valid or live.include != want.include:
        return False
    # Expression indexes reflect unevenly; their name is all we compare.
    if None in live.columns or None in want.columns:
        return True
    return live.columns == want.columns


def _children_first(live: Mapping[str, TableSnap], gone: Iterable[str]) -> list[str]:
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
