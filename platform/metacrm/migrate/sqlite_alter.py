"""Change a column's declared definition in place on SQLite.

SQLite has no ``ALTER COLUMN``.  Rebuilding the table (copy, drop, rename) is
not safe inside our one transaction: with foreign keys on — which ``db.py``
turns on and which cannot be switched off inside a transaction — dropping the
old table runs an implicit ``DELETE`` that cascades into referencing tables.

The changes a migration makes here never alter how rows are stored: a
declared type with the same affinity (``VARCHAR(100)`` -> ``TEXT``,
``INTEGER`` -> ``BIGINT``), adding or removing ``NOT NULL``, removing a table
``FOREIGN KEY`` clause.  For those, SQLite documents editing the table's SQL in
``sqlite_schema`` under ``PRAGMA writable_schema`` and bumping the schema
version (https://sqlite.org/lang_altertable.html, "otheralter").  Before
writing, the new SQL is checked in a scratch in-memory database: the table it
declares must have the very same columns, order and keys, differing only by
the one intended change.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from .shapes import sqlite_affinity

_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?\*/)
      | (?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
      | (?P<punct>[(),])
      | (?P<word>[^\s(),'"`\[]+)""",
    re.VERBOSE | re.DOTALL,
)
# Words that end a column's type name and start its constraints.
_CONSTRAINT_WORDS = {
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
}
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


class SchemaEditError(RuntimeError):
    """The table's SQL could not be edited safely; nothing was written."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        if self.kind == "quoted":
            quote = self.text[0]
            inner = self.text[1:-1]
            return inner if quote == "[" else inner.replace(quote * 2, quote)
        return self.text


def rewrite_column(
    conn: Connection,
    table: str,
    column: str,
    *,
    type_sql: str | None = None,
    nullable: bool | None = None,
) -> None:
    """Give ``table.column`` a new declared type and/or nullability."""
    sql = _table_sql(conn, table)
    items = _items(sql)
    tokens = next((t for t in items if _is_column(t, column)), None)
    if tokens is None:
        raise SchemaEditError(f"column {table}.{column} not found in its CREATE TABLE")
    edits: list[tuple[int, int, str]] = []
    type_end = _type_end(tokens)
    if type_sql is not None:
        old_type = sql[tokens[1].start : tokens[type_end - 1].end] if type_end > 1 else ""
        if sqlite_affinity(old_type) != sqlite_affinity(type_sql):
            raise SchemaEditError(
                f"{table}.{column}: {old_type or 'no type'} -> {type_sql} changes SQLite's "
                "storage affinity; that needs the data converted, not a new declaration"
            )
        if type_end > 1:
            edits.append((tokens[1].start, tokens[type_end - 1].end, type_sql))
        else:
            edits.append((tokens[0].end, tokens[0].end, " " + type_sql))
    if nullable is not None:
        edits.extend(_nullability_edits(tokens, type_end, nullable))
    new_sql = _apply(sql, edits)

    def expect(old: _Declared, new: _Declared) -> bool:
        want = [list(row) for row in old.columns]
        for row in want:
            if row[1] == column and type_sql is not None:
                row[2] = type_sql
            if row[1] == column and nullable is not None:
                row[3] = 0 if nullable else 1
        return want == new.columns and new.foreign_keys == old.foreign_keys

    _write(conn, table, sql, new_sql, expect)


def drop_foreign_keys(conn: Connection, table: str, column: str) -> None:
    """Remove table-level ``FOREIGN KEY`` clauses that use ``column``.

    SQLite refuses ``DROP COLUMN`` for a column named in one; removing a
    foreign key is one of the edits its documentation lists as safe.
    """
    sql = _table_sql(conn, table)
    spans = _item_spans(sql)
    edits = []
    for index, (_start, end, tokens) in enumerate(spans):
        words = [t.word for t in tokens[:3]]
        at = 0 if words[:1] == ["FOREIGN"] else 2 if words[::2] == ["CONSTRAINT", "FOREIGN"] else -1
        if index == 0 or at < 0:
            continue
        group = _group(tokens, at + 2)
        if any(t.name.lower() == column.lower() for t in group if t.kind in ("word", "quoted")):
            # From the end of the definition before it, so its comma goes too.
            edits.append((spans[index - 1][1], end, ""))
    if not edits:
        return

    def expect(old: _Declared, new: _Declared) -> bool:
        gone = {row[0] for row in old.foreign_keys if row[3].lower() == column.lower()}
        kept = sorted(tuple(r[1:]) for r in old.foreign_keys if r[0] not in gone)
        return new.columns == old.columns and sorted(tuple(r[1:]) for r in new.foreign_keys) == kept

    _write(conn, table, sql, _apply(sql, edits), expect)


# --- reading the CREATE TABLE statement ---------------------------------------


def _table_sql(conn: Connection, table: str) -> str:
    row = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).first()
    if row is None or not row[0]:
        raise SchemaEditError(f"table {table} not found")
    return str(row[0])


def _tokens(sql: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "word"
        if kind != "space":
            found.append(_Token(kind, match.group(), match.start(), match.end()))
    return found


def _item_spans(sql: str) -> list[tuple[int, int, list[_Token]]]:
    """The comma-separated definitions inside ``CREATE TABLE t ( ... )``."""
    tokens = _tokens(sql)
    opening = next(i for i, t in enumerate(tokens) if t.text == "(")
    spans: list[tuple[int, int, list[_Token]]] = []
    depth, current = 0, list[_Token]()
    for token in tokens[opening + 1 :]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            if depth == 0:
                break
            depth -= 1
        if depth == 0 and token.text == ",":
            spans.append((current[0].start, current[-1].end, current))
            current = []
        else:
            current.append(token)
    if current:
        spans.append((current[0].start, current[-1].end, current))
    return spans


def _items(sql: str) -> list[list[_Token]]:
    return [tokens for _start, _end, tokens in _item_spans(sql)]


def _is_column(tokens: list[_Token], column: str) -> bool:
    first = tokens[0]
    if first.kind == "word" and first.word in _TABLE_CONSTRAINT_WORDS:
        return False
    return first.name.lower() == column.lower()


def _skip_group(tokens: list[_Token], at: int) -> int:
    """Index just past the parenthesised group opening at ``at``."""
    depth = 0
    for i in range(at, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[i].text, 0)
        if depth == 0:
            return i + 1
    return len(tokens)


def _group(tokens: list[_Token], at: int) -> list[_Token]:
    return tokens[at + 1 : _skip_group(tokens, at) - 1] if at < len(tokens) else []


def _type_end(tokens: list[_Token]) -> int:
    """Index of the first token after the column's type name (1 if it has none)."""
    i = 1
    while i < len(tokens):
        if tokens[i].text == "(":
            i = _skip_group(tokens, i)
        elif tokens[i].word in _CONSTRAINT_WORDS:
            break
        else:
            i += 1
    return i


def _nullability_edits(
    tokens: list[_Token], type_end: int, nullable: bool
) -> list[tuple[int, int, str]]:
    not_null: tuple[int, int] | None = None
    bare_null: tuple[int, int] | None = None
    i = type_end
    while i < len(tokens):
        word = tokens[i].word
        if tokens[i].text == "(":
            i = _skip_group(tokens, i)
            continue
        if word == "DEFAULT":
            i += 2 if i + 1 < len(tokens) and tokens[i + 1].text != "(" else 1
            continue
        if word == "NOT" and i + 1 < len(tokens) and tokens[i + 1].word == "NULL":
            first = i - 2 if i >= 2 and tokens[i - 2].word == "CONSTRAINT" else i
            last = i + 1
            if last + 2 < len(tokens) and tokens[last + 1].word == "ON":
                last += 3  # NOT NULL ON CONFLICT <resolution>
            not_null = (tokens[first].start, tokens[last].end)
            i = last + 1
            continue
        if word == "NULL":
            bare_null = (tokens[i].start, tokens[i].end)
        i += 1
    anchor = tokens[type_end - 1].end
    if nullable:
        return [(_with_space(tokens, not_null), not_null[1], "")] if not_null else []
    if not_null:
        return []
    if bare_null:
        return [(bare_null[0], bare_null[1], "NOT NULL")]
    return [(anchor, anchor, " NOT NULL")]


def _with_space(tokens: list[_Token], span: tuple[int, int]) -> int:
    """Start of ``span`` widened to the end of the token before it (eats one gap)."""
    before = [t.end for t in tokens if t.end <= span[0]]
    return max(before) if before else span[0]


def _apply(sql: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(edits, reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


# --- writing it back ----------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    """What SQLite makes of a CREATE TABLE: ``table_xinfo`` and ``foreign_key_list`` rows."""

    columns: list[list[Any]]
    foreign_keys: list[list[Any]]


def _declared(sql: str) -> _Declared:
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(sql)
        name = scratch.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        quoted = '"' + name.replace('"', '""') + '"'
        return _Declared(
            [list(r) for r in scratch.execute(f"PRAGMA table_xinfo({quoted})")],
            [list(r) for r in scratch.execute(f"PRAGMA foreign_key_list({quoted})")],
        )
    finally:
        scratch.close()


def _write(
    conn: Connection,
    table: str,
    old_sql: str,
    new_sql: str,
    expect: Callable[[_Declared, _Declared], bool],
) -> None:
    try:
        old, new = _declared(old_sql), _declared(new_sql)
    except sqlite3.Error as exc:
        raise SchemaEditError(f"edited definition of {table} does not parse: {exc}") from exc
    if not expect(old, new):
        raise SchemaEditError(f"editing {table} would change more than intended:\n{new_sql}")
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar_one())
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (new_sql, table),
        )
        # Tells this and every other connection to re-read the schema.
        conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1:d}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
