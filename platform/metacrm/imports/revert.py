"""Undo an import, record by record: records it created go to the recycle bin,
records it updated get their earlier values back, each through the API's own
delete and PATCH (permissions, audit trail). A record someone changed since
the import is left as it is, with the reason in the import's log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict, PreconditionFailed, Problem
from ..platform import Platform
from ..runtime.recycle import delete_record
from ..runtime.writes import update_record
from ..values import json_value
from .store import failed_cells, read_import

BATCH = 200
ERROR_COLUMN = "import errors"


def revert_import(platform: Platform, ctx: Context, import_id: int, entity: str | None = None
                  ) -> dict[str, Any]:
    """Revert what the import wrote; ``{"reverted": n, "refused": [{row, record_id,
    reason}]}``. Conflict when it was a dry run or is still running."""
    compiled, tables = platform.compiled, platform.compiled.tables
    with platform.reading() as conn:
        job = read_import(conn, tables, import_id, entity)
    if job is None:
        raise LookupError(import_id)
    if job["options"].get("dry_run"):
        raise Conflict("a dry run wrote nothing: there is nothing to revert")
    if job["status"] in ("queued", "running"):
        raise Conflict("the import is still running: wait for it to finish")
    model = compiled.models[job["entity"]]
    rows = tables.import_rows
    reverted, refused = 0, []
    after = 0
    while True:
        with platform.writing() as conn:
            todo = conn.execute(sa.select(rows).where(
                rows.c.import_id == import_id, rows.c.row > after,
                rows.c.action.in_(("created", "updated")), rows.c.reverted.is_(None))
                .order_by(rows.c.row).limit(BATCH)).mappings().all()
            for row in todo:
                savepoint = conn.begin_nested()
                try:
                    if row["action"] == "created":
                        delete_record(conn, compiled, model, ctx, row["record_id"],
                                      row["version"])
                    else:
                        update_record(conn, compiled, model, ctx, row["record_id"],
                                      row["before"] or {}, row["version"])
                except Problem as problem:
                    savepoint.rollback()
                    reason = _reason(conn, model.table, tables.users, row["record_id"],
                                     problem)
                    refused.append({"row": row["row"], "record_id": row["record_id"],
                                    "reason": reason})
                    note = reason
                else:
                    savepoint.commit()
                    reverted += 1
                    note = "reverted"
                conn.execute(rows.update().where(rows.c.id == row["id"]).values(reverted=note))
        if len(todo) < BATCH:
            break
        after = todo[-1]["row"]
    with platform.writing() as conn:
        conn.execute(tables.imports.update().where(tables.imports.c.id == import_id)
                     .values(status="reverted", reverted_at=ctx.now))
    return {"reverted": reverted, "refused": refused}


def _reason(conn: sa.Connection, table: sa.Table, users: sa.Table, record_id: int,
            problem: Problem) -> str:
    text = "; ".join(m for ms in problem.errors.values() for m in ms)
    if not isinstance(problem, PreconditionFailed):
        return text
    found = conn.execute(sa.select(table.c.version, table.c.updated_at, table.c.updated_by)
                         .where(table.c.id == record_id)).first()
    if found is None:
        return text
    name = conn.execute(sa.select(users.c.username).where(users.c.id == found.updated_by)
                        ).scalar() if found.updated_by is not None else None
    who = name or (f"user #{found.updated_by}" if found.updated_by else "the platform")
    return (f"changed since the import (now version {found.version}, last by {who} at "
            f"{json_value(found.updated_at)}): left as it is")


def failed_rows_csv(platform: Platform, import_id: int) -> Iterator[bytes]:
    """The failed rows as a CSV file to fix and import again: the file's columns and
    one more with what was wrong (UTF-8 with a BOM, for Excel)."""
    with platform.reading() as conn:
        job = read_import(conn, platform.compiled.tables, import_id)
        if job is None:
            raise LookupError(import_id)
        header = list(job["header"])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([*header, ERROR_COLUMN])
        for _number, cells, errors in failed_cells(conn, platform.compiled.tables, import_id):
            padded = [("" if c is None else c) for c in cells][:len(header)]
            padded += [""] * (len(header) - len(padded))
            writer.writerow([*padded, describe(errors)])
            if buffer.tell() > 1 << 16:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


def describe(errors: dict[str, list[str]]) -> str:
    """``{"phone": ["..."], "_row": ["..."]}`` as one cell: ``phone: ...; ...``."""
    return "; ".join(f"{key}: {m}" if key != "_row" else m
                     for key, messages in errors.items() for m in messages)

