"""An import's own rows: the run (``mc_imports``) and its per-row log
(``mc_import_rows``): create, read, and what the API shows of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..compile.system_tables import SystemTables
from ..values import json_value
from .mapping import ColumnMapping

MODES = ("create", "update", "upsert")
ACTIONS = ("created", "updated", "skipped", "failed")


@dataclass(frozen=True)
class ImportOptions:
    mode: str = "create"
    match: tuple[str, ...] = ()
    dry_run: bool = False
    locale: str = "en"
    # The command line without --as: the platform itself, in nobody's name.
    as_platform: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "match": list(self.match), "dry_run": self.dry_run,
                "locale": self.locale, "as_platform": self.as_platform}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportOptions:
        return cls(data.get("mode", "create"), tuple(data.get("match") or ()),
                   bool(data.get("dry_run")), data.get("locale", "en"),
                   bool(data.get("as_platform")))


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(ACTIONS, 0)


def create_import(conn: sa.Connection, tables: SystemTables, *, entity: str,
                  user_id: int | None, filename: str, path: str, options: ImportOptions,
                  mapping: ColumnMapping, header: Sequence[str], now: datetime) -> int:
    return int(conn.execute(tables.imports.insert().returning(tables.imports.c.id), {
        "entity": entity, "user_id": user_id, "filename": filename, "path": path,
        "options": options.as_dict(), "mapping": mapping.as_dict(), "header": list(header),
        "status": "queued", "last_row": 0, "counts": empty_counts(), "created_at": now,
    }).scalar_one())


def read_import(conn: sa.Connection, tables: SystemTables, import_id: int,
                entity: str | None = None) -> dict[str, Any] | None:
    statement = sa.select(tables.imports).where(tables.imports.c.id == import_id)
    if entity is not None:
        statement = statement.where(tables.imports.c.entity == entity)
    row = conn.execute(statement).mappings().first()
    return dict(row) if row is not None else None


def previous_mapping(conn: sa.Connection, tables: SystemTables, entity: str,
                     user_id: int | None) -> ColumnMapping | None:
    """The mapping of the importer's last import of ``entity`` (anyone's, if theirs
    is none): people import the same export again and again."""
    imports = tables.imports
    base = sa.select(imports.c.mapping).where(imports.c.entity == entity).order_by(
        imports.c.id.desc()).limit(1)
    found = conn.execute(base.where(imports.c.user_id == user_id)).scalar() \
        if user_id is not None else None
    found = found or conn.execute(base).scalar()
    return ColumnMapping.from_dict(found) if found else None


def shown(job: dict[str, Any], *, failed: list[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    """An import as the API shows it."""
    total = job["total_rows"]
    return {
        "id": job["id"], "entity": job["entity"], "filename": job["filename"],
        "status": job["status"], "options": job["options"], "mapping": job["mapping"],
        "total_rows": total, "last_row": job["last_row"], "counts": job["counts"],
        "processed": sum(job["counts"].values()),
        "progress": (round(min(1.0, sum(job["counts"].values()) / total), 4)
                     if total else None),
        "error": job["error"], "user_id": job["user_id"],
        "created_at": json_value(job["created_at"]),
        "finished_at": json_value(job["finished_at"]),
        "reverted_at": json_value(job["reverted_at"]),
        **({"failed_rows": failed} if failed is not None else {}),
    }


def log_rows(conn: sa.Connection, tables: SystemTables, import_id: int, *,
             action: str | None = None, limit: int = 100, after_row: int = 0
             ) -> list[dict[str, Any]]:
    rows = tables.import_rows
    statement = sa.select(rows).where(rows.c.import_id == import_id, rows.c.row > after_row)
    if action is not None:
        statement = statement.where(rows.c.action == action)
    return [_log_shown(r) for r in conn.execute(
        statement.order_by(rows.c.row).limit(limit)).mappings()]


def warned_rows(conn: sa.Connection, tables: SystemTables, import_id: int, limit: int = 20
                ) -> list[dict[str, Any]]:
    """Rows written with a warning (a warning duplicate rule's candidates), in file
    order: they went in, and someone should look at them."""
    rows = tables.import_rows
    return [_log_shown(r) for r in conn.execute(sa.select(rows).where(
        rows.c.import_id == import_id, rows.c.action.in_(("created", "updated")),
        rows.c.errors.is_not(None)).order_by(rows.c.row).limit(limit)).mappings()]


def possible_duplicates(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A warned row's candidates: ``[{"id", "title", "label", …}]``."""
    return list((row.get("errors") or {}).get("_duplicates") or [])


def _log_shown(row: Any) -> dict[str, Any]:
    return {"row": row["row"], "action": row["action"], "record_id": row["record_id"],
            "before": row["before"], "errors": row["errors"], "reverted": row["reverted"]}


def failed_cells(conn: sa.Connection, tables: SystemTables, import_id: int,
                 batch: int = 1000) -> Iterator[tuple[int, list[Any], dict[str, list[str]]]]:
    """The failed rows' (row number, cells, errors), in file order, a batch at a time."""
    rows = tables.import_rows
    after = 0
    while True:
        found = conn.execute(sa.select(rows.c.row, rows.c.cells, rows.c.errors).where(
            rows.c.import_id == import_id, rows.c.action == "failed", rows.c.row > after)
            .order_by(rows.c.row).limit(batch)).all()
        for number, cells, errors in found:
            yield number, cells or [], errors or {}
        if len(found) < batch:
            return
        after = found[-1][0]
