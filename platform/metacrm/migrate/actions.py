"""The steps of a migration and the reasons for refusing one.

Each action is a frozen value: what it changes (for ``describe()``, the
history table and ``--dry-run``), the SQL compiled for the plan's dialect
(``statements``), and ``run(conn)``.  Actions hold text, never SQLAlchemy
objects, so a plan can be printed, compared and kept after the MetaData that
produced it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from . import checks, sqlite_alter
from .shapes import TypeShape

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

    def describe(self) -> str:
        return f"add foreign key {self.name} on {self.table} -> {self.references}"


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


@dataclass(frozen=True, kw_only=True)
class AddIndex(Action):
    name: str
    columns: tuple[str, ...] = ()
    unique: bool = False
    where: str | None = None

    def describe(self) -> str:
        kind = "unique index" if self.unique else "index"
        text = f"add {kind} {self.name} on {self.table} ({', '.join(self.columns)})"
        return f"{text} where {self.where}" if self.where else text


@dataclass(frozen=True, kw_only=True)
class DropIndex(Action):
    name: str

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"


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

    @property
    def destructive(self) -> bool:
        return not (self.widen or self.lossless)

    def describe(self) -> str:
        verb = "widen" if self.widen else "narrow"
        text = f"{verb} column {self.table}.{self.column} {self.old} -> {self.new}"
        return f"{text} (every value fits)" if self.lossless else text

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


class MigrationCheckFailed(RuntimeError):
    """Rows changed between planning and applying so that an action no longer fits."""
