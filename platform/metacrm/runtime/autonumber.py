"""Gap-free autonumbers: the counter moves inside the inserting transaction.

If the insert rolls back, so does the counter, so no number is ever skipped;
two concurrent inserts serialize on the counter's row, which stays locked
until commit. To keep that window short, numbers are taken only after the
records have been validated.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

_PLACEHOLDER = re.compile(r"\{(seq|yyyy|mm|dd)(?::(0?\d+))?\}")


def take_numbers(conn: sa.Connection, sequences: sa.Table, name: str, count: int) -> list[int]:
    """Reserve ``count`` consecutive numbers of the counter ``name``."""
    last = conn.execute(_take_statement(sequences, conn.dialect.name),
                        {"name": name, "count": count}).scalar_one()
    return list(range(last - count + 1, last + 1))


def _take_statement(sequences: sa.Table, dialect_name: str) -> sa.Insert:
    """Built once per table and database kind (kept in the table's ``info``): every
    create of a numbered entity runs it."""
    key = f"metacrm_take_numbers_{dialect_name}"
    found = sequences.info.get(key)
    if found is None:
        found = sequences.info[key] = _build_take(sequences, dialect_name)
    return found


def _build_take(sequences: sa.Table, dialect_name: str) -> sa.Insert:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    count = sa.bindparam("count", type_=sequences.c.value.type)
    statement = dialect.insert(sequences).values(name=sa.bindparam("name"), value=count)
    return statement.on_conflict_do_update(
        index_elements=[sequences.c.name],
        set_={"value": sequences.c.value + count},
    ).returning(sequences.c.value)


def format_number(template: str, number: int, when: datetime) -> str:
    def replace(match: re.Match[str]) -> str:
        part, width = match.group(1), match.group(2)
        value = {"seq": number, "yyyy": when.year, "mm": when.month, "dd": when.day}[part]
        if width:
            return str(value).zfill(int(width))
        return f"{value:02d}" if part in ("mm", "dd") else str(value)

    return _PLACEHOLDER.sub(replace, template)

