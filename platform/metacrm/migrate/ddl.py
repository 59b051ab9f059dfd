"""Compile the DDL statements a migration runs, quoted for the target dialect.

Whole-table and index statements come from SQLAlchemy's DDL constructs;
``ALTER TABLE`` statements are assembled from pieces the dialect compiled
(``CreateColumn``, the type compiler, the identifier preparer) so every name
is quoted by the dialect and never pasted in raw.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import DDLCompiler

from .snapshot import constraint_name


def ddl_compiler(dialect: Dialect) -> DDLCompiler:
    """The dialect's DDL compiler, for its helpers (cascades, defaults), not a statement."""
    return dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]


def _q(dialect: Dialect, name: str) -> str:
    return dialect.identifier_preparer.quote(name)


def create_table(
    table: sa.Table, dialect: Dialect, later: Collection[sa.ForeignKeyConstraint] = ()
) -> tuple[str, ...]:
    """``CREATE TABLE`` with its constraints, then ``CREATE INDEX`` for each index.

    Foreign keys in ``later`` are left out, to be added by ``add_foreign_key``
    once the table they reference exists (tables that reference each other).
    """
    keep = [fk for fk in table.foreign_key_constraints if fk not in later]
    create = sa.schema.CreateTable(table, include_foreign_key_constraints=keep)
    statements = [str(create.compile(dialect=dialect)).strip()]
    for index in sorted(table.indexes, key=lambda i: constraint_name(i, dialect) or ""):
        statements.append(create_index(index, dialect))
    return tuple(statements)


def add_foreign_key(constraint: sa.ForeignKeyConstraint, dialect: Dialect) -> str:
    """``ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`` (PostgreSQL)."""
    return str(sa.schema.AddConstraint(constraint).compile(dialect=dialect)).strip()


def create_index(index: sa.Index, dialect: Dialect, *, concurrently: bool = False) -> str:
    """``CREATE [UNIQUE] INDEX`` keeping dialect options such as ``*_where``.

    ``concurrently`` (PostgreSQL) builds it without blocking writes; the
    compiled statement gets the keyword rather than the shared MetaData's
    index a ``postgresql_concurrently`` option.
    """
    statement = str(sa.schema.CreateIndex(index).compile(dialect=dialect)).strip()
    return _concurrently(statement) if concurrently else statement


def create_unique_index(
    name: str, table: sa.Table, columns: Sequence[str], dialect: Dialect, *,
    concurrently: bool = False,
) -> str:
    """A UNIQUE constraint added to an existing table, as a unique index of the same name.

    SQLite cannot add a constraint to an existing table; an index enforces the
    same rule on both databases and is found by the same name afterwards.
    """
    preparer = dialect.identifier_preparer
    cols = ", ".join(_q(dialect, c) for c in columns)
    statement = (f"CREATE UNIQUE INDEX {_q(dialect, name)} ON {preparer.format_table(table)} "
                 f"({cols})")
    return _concurrently(statement) if concurrently else statement


def _concurrently(statement: str) -> str:
    for head in ("CREATE UNIQUE INDEX ", "CREATE INDEX "):
        if statement.startswith(head):
            return f"{head}CONCURRENTLY {statement[len(head):]}"
    raise ValueError(f"not a CREATE INDEX statement: {statement}")


def drop_index(name: str, dialect: Dialect, *, concurrently: bool = False,
               if_exists: bool = False) -> str:
    """``DROP INDEX``; ``concurrently`` (PostgreSQL, outside a transaction) takes no
    lock that blocks the table's reads and writes."""
    return (f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}"
            f"{'IF EXISTS ' if if_exists else ''}{_q(dialect, name)}")


def add_column(column: sa.Column[object], dialect: Dialect) -> str:
    """``ALTER TABLE ... ADD COLUMN`` with default, nullability and a named REFERENCES.

    The foreign key is written as a column constraint: PostgreSQL and SQLite
    both accept ``ADD COLUMN c INTEGER CONSTRAINT fk_... REFERENCES p (id)``,
    and the constraint keeps the name the naming convention gives it.
    """
    table = column.table
    assert isinstance(table, sa.Table)
    spec = str(sa.schema.CreateColumn(column).compile(dialect=dialect)).strip()
    for fk in sorted(column.foreign_keys, key=lambda f: f.target_fullname):
        spec += references(fk.constraint, dialect) if fk.constraint is not None else ""
    return f"ALTER TABLE {dialect.identifier_preparer.format_table(table)} ADD COLUMN {spec}"


def references(constraint: sa.ForeignKeyConstraint, dialect: Dialect) -> str:
    """`` CONSTRAINT name REFERENCES t (c) ON DELETE ...`` for a one-column foreign key."""
    preparer = dialect.identifier_preparer
    compiler = ddl_compiler(dialect)
    name = preparer.format_constraint(constraint) if constraint.name is not None else None
    (element,) = constraint.elements
    target = element.column
    assert isinstance(target.table, sa.Table)
    text = f" CONSTRAINT {name}" if name else ""
    text += f" REFERENCES {preparer.format_table(target.table)} ({_q(dialect, target.name)})"
    text += compiler.define_constraint_cascades(constraint)
    text += compiler.define_constraint_deferrability(constraint)
    text += compiler.define_constraint_match(constraint)
    return text


def alter_type(table: str, column: str, type_sql: str, dialect: Dialect) -> str:
    """PostgreSQL's ``ALTER COLUMN ... TYPE`` (SQLite has no such statement)."""
    return f"ALTER TABLE {_q(dialect, table)} ALTER COLUMN {_q(dialect, column)} TYPE {type_sql}"


def alter_nullable(table: str, column: str, nullable: bool, dialect: Dialect) -> str:
    """PostgreSQL's ``ALTER COLUMN ... SET/DROP NOT NULL``."""
    verb = "DROP" if nullable else "SET"
    return f"ALTER TABLE {_q(dialect, table)} ALTER COLUMN {_q(dialect, column)} {verb} NOT NULL"


def drop_column(table: str, column: str, dialect: Dialect, *, if_exists: bool = False) -> str:
    exists = "IF EXISTS " if if_exists else ""
    return f"ALTER TABLE {_q(dialect, table)} DROP COLUMN {exists}{_q(dialect, column)}"


def drop_table(table: str, dialect: Dialect, *, if_exists: bool = False) -> str:
    drop = sa.schema.DropTable(sa.Table(table, sa.MetaData()), if_exists=if_exists)
    return str(drop.compile(dialect=dialect)).strip()


def server_default_sql(column: sa.Column[object], dialect: Dialect) -> str | None:
    """The DEFAULT expression for ``column`` as a person would write it, if any."""
    if column.server_default is None:
        return None
    compiler = ddl_compiler(dialect)
    text = compiler.get_column_default_string(column)
    return None if text is None else readable(text, dialect)


def readable(sql: str, dialect: Dialect) -> str:
    """Undo the ``%`` doubling of "format"-style drivers (psycopg), for display only."""
    return sql.replace("%%", "%") if dialect.paramstyle in ("format", "pyformat") else sql
