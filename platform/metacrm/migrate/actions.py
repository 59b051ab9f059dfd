"""The steps of a migration and the reasons for refusing one.

Each action is a frozen value: what it changes (for ``describe()``, the
history table and ``--dry-run``), what it locks and for how long
(``locks()``), the SQL compiled for the plan's dialect (``statements``), and
``run(conn)``.  Actions hold text, never SQLAlchemy objects, so a plan can be
printed, compared and kept after the MetaData that produced it is gone.

The lock texts are PostgreSQL's (its documentation, "Explicit Locking" and
``ALTER TABLE``): ``ACCESS EXCLUSIVE`` blocks every read and write of the
table until the transaction commits, ``SHARE`` blocks writes, ``SHARE UPDATE
EXCLUSIVE`` (a concurrent index build) blocks neither.  SQLite has one write
lock for the whole database; WAL readers never wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from . import checks, sqlite_alter
from .shapes import TypeShape, rewrites_table

ALLOW_HINT = "allow destructive changes to do it (metacrm migrate --allow-destructive)"


@dataclass(frozen=True)
class Refusal:
    """A change the plan will not make: ``subject``, ``reason``, and how to get past it."""

    subject: str
    reason: str
    remedy: str = ""

    def describe(self) -> str:
        text = f"{self.subject}: {self.reason}"
        return f"{text}; {self.remedy}" if self.remedy else text


@dataclass(frozen=True, kw_only=True)
class Action:
    """One step; ``sql`` is what it runs, compiled for the plan's dialect."""

    table: str
    sql: tuple[str, ...] = ()

    @property
    def destructive(self) -> bool:
        """Whether the action loses data (only planned with ``allow_destructive``)."""
        return False

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def concurrent(self) -> bool:
        """Whether it runs outside the migration's transaction (a concurrent index build)."""
        return False

    @property
    def exclusive(self) -> frozenset[str]:
        """The tables it locks ACCESS EXCLUSIVE on PostgreSQL (until the transaction ends)."""
        return frozenset({self.table})

    @property
    def slow(self) -> bool:
        """Whether it reads or writes every row (PostgreSQL) while holding its lock."""
        return False

    def locks(self, dialect: str, held: frozenset[str] = frozenset()) -> str:
        """What it locks and for how long; ``held``: tables the transaction already
        holds ACCESS EXCLUSIVE on, whose readers also wait while a slow step runs."""
        if dialect == "sqlite":
            return SQLITE_LOCK
        text = self.pg_locks(held)
        waiting = sorted(held - {self.table}) if self.slow else []
        if waiting:
            text += (f"; meanwhile {', '.join(waiting)} stay locked by earlier steps of the "
                     "transaction")
        return text

    def pg_locks(self, held: frozenset[str]) -> str:
        return instant(self.table)

    @property
    def statements(self) -> tuple[str, ...]:
        """The SQL this action runs (for ``--dry-run``)."""
        return self.sql

    def run(self, conn: Connection) -> None:
        for statement in self.statements:
            conn.exec_driver_sql(statement)


@dataclass(frozen=True, kw_only=True)
class CreateTable(Action):
    columns: int = 0
    indexes: int = 0
    references: tuple[str, ...] = ()  # existing or new tables its foreign keys point at

    @property
    def exclusive(self) -> frozenset[str]:
        return frozenset()  # a table nobody can be using yet

    def pg_locks(self, held: frozenset[str]) -> str:
        others = sorted(set(self.references) - {self.table})
        if not others:
            return "a new table: blocks nobody"
        return (f"a new table; SHARE ROW EXCLUSIVE lock on {', '.join(others)} for an instant "
                "(its foreign keys): blocks their writes only that long")

    def describe(self) -> str:
        counts = f"{self.columns} columns"
        if self.indexes:
            counts += f", {self.indexes} index{'es' if self.indexes > 1 else ''}"
        return f"create table {self.table} ({counts})"


@dataclass(frozen=True, kw_only=True)
class AddForeignKey(Action):
    """A foreign key between two new tables that reference each other (PostgreSQL)."""

    name: str
    references: str

    @property
    def exclusive(self) -> frozenset[str]:
        return frozenset()

    def describe(self) -> str:
        return f"add foreign key {self.name} on {self.table} -> {self.references}"

    def pg_locks(self, held: frozenset[str]) -> str:
        return "SHARE ROW EXCLUSIVE lock on tables created by this migration: blocks nobody"


@dataclass(frozen=True, kw_only=True)
class AddColumn(Action):
    column: str
    type: str
    nullable: bool = True
    default: str | None = None
    references: str | None = None

    def describe(self) -> str:
        text = f"add column {self.table}.{self.column} {self.type}"
        if not self.nullable:
            text += " NOT NULL"
        if self.default is not None:
            text += f" DEFAULT {self.default}"
        if self.references:
            text += f" REFERENCES {self.references}"
        return text

    def pg_locks(self, held: frozenset[str]) -> str:
        # PostgreSQL 11+ keeps a constant (or now()) default in the catalog and a new
        # column's foreign key needs no check: no row is read or written.
        text = instant(self.table, "a catalog change, no row written")
        if self.references:
            target = self.references.split(" ", 1)[0]
            text += f"; SHARE ROW EXCLUSIVE lock on {target} for an instant (the foreign key)"
        return text


@dataclass(frozen=True, kw_only=True)
class AddIndex(Action):
    name: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    where: str | None = None

    # PostgreSQL: CREATE INDEX CONCURRENTLY, run after the migration's transaction.
    concurrently: bool = False

    @property
    def concurrent(self) -> bool:
        return self.concurrently

    @property
    def slow(self) -> bool:
        return not self.concurrently

    @property
    def exclusive(self) -> frozenset[str]:
        return frozenset()

    def describe(self) -> str:
        kind = "unique index" if self.unique else "index"
        text = f"add {kind} {self.name} on {self.table} ({', '.join(self.columns)})"
        return f"{text} where {self.where}" if self.where else text

    def pg_locks(self, held: frozenset[str]) -> str:
        if self.concurrently:
            return (f"built CONCURRENTLY after the transaction: no lock that blocks reads or "
                    f"writes of {self.table} (SHARE UPDATE EXCLUSIVE; it first waits for "
                    "transactions already running, then scans the table twice)")
        if self.table in held:
            return (f"SHARE lock on {self.table} for the whole build, and the transaction "
                    f"already holds ACCESS EXCLUSIVE on it: blocks its reads and writes until "
                    "the migration commits")
        return (f"SHARE lock on {self.table} for the whole build: blocks its writes (reads go "
                "on) until the migration commits")


@dataclass(frozen=True, kw_only=True)
class DropIndex(Action):
    name: str

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"

    def pg_locks(self, held: frozenset[str]) -> str:
        return instant(self.table)


@dataclass(frozen=True, kw_only=True)
class AlterColumnType(Action):
    """Widen (or, when destructive changes are allowed, narrow) a column's type.

    PostgreSQL runs ``ALTER COLUMN ... TYPE`` and checks every row itself.
    SQLite neither enforces lengths nor precision; its declared type is
    rewritten in place (same affinity, so stored rows are untouched) after
    checking that the rows fit, as PostgreSQL would.
    """

    column: str
    old: str
    new: str
    widen: bool = True
    target: TypeShape | None = None
    # A narrowing that keeps every value: fewer digits before the point, where no row
    # has that many (checked when planned, and checked again when applied).
    lossless: bool = False
    source: TypeShape | None = None

    @property
    def destructive(self) -> bool:
        return not (self.widen or self.lossless)

    def describe(self) -> str:
        verb = "widen" if self.widen else "narrow"
        text = f"{verb} column {self.table}.{self.column} {self.old} -> {self.new}"
        return f"{text} (every value fits)" if self.lossless else text

    @property
    def slow(self) -> bool:
        return self.source is None or self.target is None or rewrites_table(
            self.source, self.target)

    def pg_locks(self, held: frozenset[str]) -> str:
        if not self.slow:
            return instant(self.table, "a catalog change, no row rewritten")
        return (f"ACCESS EXCLUSIVE lock on {self.table} while every row is rewritten: blocks "
                "its reads and writes for about as long as copying the table")

    def run(self, conn: Connection) -> None:
        if conn.dialect.name != "sqlite":
            return super().run(conn)
        if not self.widen and self.target is not None:
            misfits = checks.count_misfits(conn, self.table, self.column, self.target)
            if misfits:
                raise MigrationCheckFailed(
                    f"{misfits} rows of {self.table}.{self.column} do not fit {self.new}"
                )
        sqlite_alter.rewrite_column(conn, self.table, self.column, type_sql=self.new)


@dataclass(frozen=True, kw_only=True)
class StoreMinorUnits(Action):
    """SQLite: rewrite an exact number column's values as whole minor units.

    ``from_scale`` is None for a column in the old form (a NUMERIC holding the
    numbers themselves, which SQLite keeps as doubles), else the scale its minor
    units have now: the values are multiplied by the difference. Rounding only
    happens to values already stored with more places than the field allows.
    """

    column: str
    old: str
    new: str
    scale: int
    from_scale: int | None = None
    target: TypeShape | None = None

    @property
    def destructive(self) -> bool:
        return self.from_scale is not None and self.from_scale > self.scale

    def describe(self) -> str:
        return (f"store column {self.table}.{self.column} {self.old} -> {self.new} "
                "(rewrites every value as whole minor units)")

    @property
    def statements(self) -> tuple[str, ...]:
        places = self.scale - (self.from_scale or 0)
        column = f'"{self.column}"'  # SQLite only: its quoting, whatever the name
        value = f"{column} * {10**places}" if places >= 0 else f"{column} / {10**-places}.0"
        update = (f'UPDATE "{self.table}" SET {column} = CAST(ROUND({value}) AS INTEGER) '
                  f"WHERE {column} IS NOT NULL")
        return (update,)

    def run(self, conn: Connection) -> None:
        if self.target is not None and self.from_scale is None:
            wanted = TypeShape("numeric", (self.target.size[0], self.scale))
            misfits = checks.count_misfits(conn, self.table, self.column, wanted)
            if misfits:
                raise MigrationCheckFailed(
                    f"{misfits} rows of {self.table}.{self.column} do not fit {self.new}")
        super().run(conn)
        sqlite_alter.rewrite_column(conn, self.table, self.column, type_sql=self.new)


@dataclass(frozen=True, kw_only=True)
class AlterNullable(Action):
    """Add or lift ``NOT NULL`` (SQLite: rewritten in place after checking for NULLs)."""

    column: str
    nullable: bool

    def describe(self) -> str:
        if self.nullable:
            return f"allow NULL in column {self.table}.{self.column}"
        return f"set column {self.table}.{self.column} NOT NULL"

    @property
    def slow(self) -> bool:
        return not self.nullable

    def pg_locks(self, held: frozenset[str]) -> str:
        if self.nullable:
            return instant(self.table)
        return (f"ACCESS EXCLUSIVE lock on {self.table} while every row is checked for NULL: "
                "blocks its reads and writes for a full scan of the table")

    def run(self, conn: Connection) -> None:
        if conn.dialect.name != "sqlite":
            return super().run(conn)
        if not self.nullable:
            nulls = checks.count_nulls(conn, self.table, self.column)
            if nulls:
                raise MigrationCheckFailed(f"{nulls} rows of {self.table}.{self.column} are NULL")
        sqlite_alter.rewrite_column(conn, self.table, self.column, nullable=self.nullable)


@dataclass(frozen=True, kw_only=True)
class DropColumn(Action):
    column: str
    values: int = 0

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column} ({self.values} non-empty values)"

    def pg_locks(self, held: frozenset[str]) -> str:
        return instant(self.table, "a catalog change; later writes reclaim the space")

    def run(self, conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            sqlite_alter.drop_foreign_keys(conn, self.table, self.column)
        super().run(conn)


@dataclass(frozen=True, kw_only=True)
class DropTable(Action):
    rows: int = 0

    @property
    def destructive(self) -> bool:
        return True

    def describe(self) -> str:
        return f"drop table {self.table} ({self.rows} rows)"

    def pg_locks(self, held: frozenset[str]) -> str:
        return (f"ACCESS EXCLUSIVE lock on {self.table} "
                "(and, for an instant, on tables it references)")


SQLITE_LOCK = ("SQLite: the database's write lock until the migration commits (readers go on, "
               "other writers wait)")


def instant(table: str, what: str = "a catalog change") -> str:
    """The lock of a change PostgreSQL makes in its catalog only, reading no row."""
    return f"brief ACCESS EXCLUSIVE lock on {table} ({what})"


class MigrationCheckFailed(RuntimeError):
    """Rows changed between planning and applying so that an action no longer fits."""
