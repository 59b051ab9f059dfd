"""Gap-free autonumbers: the counter moves inside the inserting transaction.

If the insert rolls back, so does the counter, so no number is ever skipped;
two concurrent inserts serialize on the counter's row, which stays locked
until commit. To keep that window short, numbers are taken as late as
possible: after validation, and on PostgreSQL inside the INSERT itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..definitions import FieldDef

_PLACEHOLDER = re.compile(r"\{(seq|yyyy|mm|dd)(?::(0?\d+))?\}")


def take_numbers(conn: sa.Connection, sequences: sa.Table, name: str, count: int) -> list[int]:
    """Reserve ``count`` consecutive numbers of the counter ``name``."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(sequences).values(name=name, value=count)
    statement = statement.on_conflict_do_update(
        index_elements=[sequences.c.name],
        set_={"value": sequences.c.value + count},
    ).returning(sequences.c.value)
    last = conn.execute(statement).scalar_one()
    return list(range(last - count + 1, last + 1))


def format_number(template: str, number: int, when: datetime) -> str:
    def replace(match: re.Match[str]) -> str:
        part, width = match.group(1), match.group(2)
        value = {"seq": number, "yyyy": when.year, "mm": when.month, "dd": when.day}[part]
        if width:
            return str(value).zfill(int(width))
        return f"{value:02d}" if part in ("mm", "dd") else str(value)

    return _PLACEHOLDER.sub(replace, template)


def numbered_insert(table: sa.Table, sequences: sa.Table, entity: str,
                    fields: list[FieldDef], values: dict[str, Any], when: datetime
                    ) -> sa.Insert:
    """One PostgreSQL statement that takes each field's next number and inserts the row.

    ``WITH n AS (counter upsert RETURNING value) INSERT ... SELECT ..., format(n.value)``:
    the counter row is locked one round trip later than with a separate upsert.
    """
    counters = {
        f.name: postgresql.insert(sequences).values(name=f"{entity}.{f.name}", value=1)
        .on_conflict_do_update(index_elements=[sequences.c.name],
                               set_={"value": sequences.c.value + 1})
        .returning(sequences.c.value).cte(f"next_{f.name}")
        for f in fields
    }
    plain = [name for name in values if name not in counters]
    selected = [sa.literal(values[name], table.c[name].type) for name in plain]
    selected += [_format_in_sql(f.format or "{seq}", counters[f.name].c.value, when)
                 for f in fields]
    ctes = list(counters.values())
    source: sa.FromClause = ctes[0]
    for other in ctes[1:]:
        source = source.join(other, sa.true())  # each holds one row: a deliberate product
    statement = table.insert().from_select(
        plain + [f.name for f in fields], sa.select(*selected).select_from(source),
    ).returning(table.c.id, *[table.c[f.name] for f in fields])
    for counter in counters.values():
        statement = statement.add_cte(counter)  # data-modifying CTEs must be top-level
    return statement


def _format_in_sql(template: str, number: sa.ColumnElement, when: datetime
                   ) -> sa.ColumnElement:
    """``format_number`` as a SQL expression of the counter column."""
    parts: list[sa.ColumnElement] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[position:match.start()]
        if match.group(1) == "seq":
            text = sa.cast(number, sa.Text)
            width = int(match.group(2) or 0)
            # lpad would cut a number longer than the width; format_number never does.
            piece = text if not width else sa.case(
                (sa.func.length(text) >= width, text), else_=sa.func.lpad(text, width, "0"))
            if literal:
                parts.append(sa.literal(literal, sa.Text))
            parts.append(piece)
        else:
            parts.append(sa.literal(literal + format_number(match.group(0), 0, when), sa.Text))
        position = match.end()
    if template[position:]:
        parts.append(sa.literal(template[position:], sa.Text))
    expression = parts[0]
    for part in parts[1:]:
        expression = expression + part
    return expression
