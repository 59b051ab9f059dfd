"""Merge records: one kept, the others' references and children moved onto it, each
field's value chosen among them, the others sent to the recycle bin; and the undo.

What refers to the entity is found in the compiled catalog (every reference and
multi_reference field whose ``to`` is the entity), so a merge needs no list of
entities. Every moved reference is an audit row of its record, noted
``merged: <entity> #<other> → #<kept>``: the undo finds them by that note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..base.problems import Conflict, Invalid
from ..compile.models import EntityModel
from ..definitions import FieldDef
from ..i18n import message
from ..values import parse_integer_value
from .audit import audit_changes, audit_rows
from .audit_notes import entity as entity_part
from .audit_notes import parsed, written
from .holdings import owner_column
from .links import link_ids
from .locks import refuse_read_only, refuse_while_pending
from .operation import Operation
from .payload import read_payload
from .reads import serialize
from .recycle import restore_record, soft_delete
from .rollups import refresh_rollups
from .stored_rows import lock_reachable
from .writes import save_changes

MAX_MERGED = 20


def merge_note(entity: str, other: int, kept: int) -> str:
    return f"merged: {entity} #{other} → #{kept}"


def referring_fields(op: Operation, model: EntityModel) -> list[tuple[EntityModel, FieldDef]]:
    """Every (entity, field) that refers to ``model``'s records."""
    found = []
    for entity in op.compiled.catalog.entities.values():
        for field_def in entity.fields.values():
            if field_def.to == model.name and field_def.type in ("reference", "multi_reference"):
                found.append((op.compiled.models[entity.name], field_def))
    return found


def merge_records(op: Operation, model: EntityModel, keep: Any, others: Any,
                  choices: Any) -> dict[str, Any]:
    """Merge ``others`` into ``keep``; ``choices``: {field: id of one of the merged
    records (its value) or {"value": a value}}. A field not chosen keeps the kept
    record's value, or takes the first other's when the kept one has none; a
    multi_reference field not chosen gets the links of every record. The caller
    must be able to change every record and delete the others. Returns the kept record."""
    ctx, conn = op.ctx, op.conn
    lang = ctx.locale
    viewer = op.viewer
    access = viewer.of(model)
    access.require("update", ctx)
    access.require("delete", ctx)
    keep_id, other_ids, choices = _read_request(keep, others, choices, lang)
    rows = {}
    for record_id in sorted({keep_id, *other_ids}):  # in id order: merges cannot deadlock
        rows[record_id] = lock_reachable(conn, viewer, model, record_id, ctx, "update")
        if record_id != keep_id:
            lock_reachable(conn, viewer, model, record_id, ctx, "delete")
        refuse_while_pending(op, model, record_id)
    refuse_read_only(op, model, list(rows.values()))
    shown = {i: {**serialize(model, row, model.output_columns),
                 **{f.name: link_ids(row[f.name]) for f in model.multi_references}}
             for i, row in rows.items()}
    body = _chosen_values(model, access, shown, keep_id, other_ids, choices, lang)
    for other in other_ids:
        _move_references(op, model, other, keep_id)
    note = written("note_merged", ids=", ".join(f"#{i}" for i in other_ids))
    soft_delete(conn, viewer, model, ctx, list(other_ids),
                note=written("note_merged_into", entity=entity_part(model.name),
                             id=keep_id))
    current = lock_reachable(conn, viewer, model, keep_id, ctx, "update")
    values = read_payload(model, ctx, body, creating=False,
                          current=serialize(model, current, model.output_columns),
                          access=access)
    before = audit_rows(ctx, model.name, "merge", [(keep_id, {"merged": [None, other_ids]})],
                        note)
    return save_changes(conn, viewer, model, ctx, current, values, action="update",
                        note=note, audit_before=before)


def _read_request(keep: Any, others: Any, choices: Any, lang: str
                  ) -> tuple[int, list[int], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    keep_id = _as_id(keep)
    if keep_id is None:
        errors["keep"] = [message("merge_keep", lang)]
    other_ids = [_as_id(i) for i in others] if isinstance(others, list) else []
    if (not other_ids or len(other_ids) >= MAX_MERGED or None in other_ids
            or len(set(other_ids)) != len(other_ids) or keep_id in other_ids):
        errors["others"] = [message("merge_others", lang, max=MAX_MERGED - 1)]
    if choices is None:
        choices = {}
    if not isinstance(choices, dict):
        errors["values"] = [message("merge_values", lang)]
    if errors:
        raise Invalid(errors)
    return int(keep_id or 0), [int(i or 0) for i in other_ids], dict(choices)


def _as_id(value: Any) -> int | None:
    """A record id as JSON writes it (5 or 5.0, as JSON Schema's integer), else None."""
    try:
        number = parse_integer_value(value)
    except ValueError:
        return None
    return number if number > 0 else None


def _chosen_values(model: EntityModel, access: Any, shown: Mapping[int, dict[str, Any]],
                   keep_id: int, other_ids: list[int], choices: Mapping[str, Any],
                   lang: str) -> dict[str, Any]:
    """The update body of the kept record: each chosen field's value, and the first
    other record's value of each field the kept record has empty."""
    owner = owner_column(model)
    choosable = {f.name for f in model.entity.fields.values()
                 if f.writable and f.name not in access.hidden and f.name not in access.readonly
                 and f.name != owner and f.name != model.state_field}
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {}
    kept = shown[keep_id]
    for name, choice in choices.items():
        if name not in choosable:
            errors[f"values.{name}"] = [message("merge_field", lang)]
        elif isinstance(choice, dict) and set(choice) == {"value"}:
            body[name] = choice["value"]
        elif (chosen := _as_id(choice)) is not None and chosen in shown:
            body[name] = shown[chosen][name]
        else:
            errors[f"values.{name}"] = [message("merge_choice", lang)]
    if errors:
        raise Invalid(errors)
    links = {f.name for f in model.multi_references}
    for name in sorted(choosable - set(choices)):
        if name in links:  # tags and the like: those of every record
            body[name] = sorted({i for record in shown.values() for i in record.get(name) or []})
        elif kept.get(name) in (None, "", []):
            filled = next((shown[i][name] for i in other_ids
                           if shown[i].get(name) not in (None, "", [])), None)
            if filled is not None:
                body[name] = filled
    return {k: v for k, v in body.items() if v != kept.get(k)}


def _move_references(op: Operation, model: EntityModel, source: int, target: int) -> None:
    """Every reference to record ``source`` (live records and those in the recycle bin)
    made a reference to ``target``, audited with the merge's note."""
    _repoint(op, model, source, target, merge_note(model.name, source, target))


def _repoint(op: Operation, model: EntityModel, source: int, target: int, note: str,
             only: Iterable[tuple[str, str, int]] | None = None) -> None:
    """References to ``source`` become references to ``target``; ``only``: just these
    (entity, field, record id) (an undo)."""
    conn, ctx = op.conn, op.ctx
    allowed = set(only) if only is not None else None
    for other, field_def in referring_fields(op, model):
        table = other.table
        if field_def.type == "reference":
            column = table.c[field_def.name]
            ids = [i for i in conn.execute(sa.select(table.c.id).where(column == source)
                                           .order_by(table.c.id)).scalars()
                   if allowed is None or (other.name, field_def.name, i) in allowed]
            if not ids:
                continue
            conn.execute(table.update().where(table.c.id.in_(ids)).values(
                {column: target, "version": table.c.version + 1, "updated_at": ctx.now,
                 "updated_by": ctx.user_id}))
            audit_changes(conn, op.compiled, ctx, other.name, "update",
                          [(i, {field_def.name: [source, target]}) for i in ids], note)
            refresh_rollups(conn, op.compiled, other, {field_def.name: {source, target}}, ctx)
        else:
            _repoint_links(op, other, field_def, source, target, note, allowed)


def _repoint_links(op: Operation, other: EntityModel, field_def: FieldDef, source: int,
                   target: int, note: str, allowed: set[tuple[str, str, int]] | None) -> None:
    conn, ctx = op.conn, op.ctx
    link = other.link_tables[field_def.name]
    sources = [i for i in conn.execute(sa.select(link.c.source_id).where(
        link.c.target_id == source).order_by(link.c.source_id)).scalars()
        if allowed is None or (other.name, field_def.name, i) in allowed]
    if not sources:
        return
    before: dict[int, list[int]] = {i: [] for i in sources}
    for source_id, target_id in conn.execute(sa.select(link.c.source_id, link.c.target_id)
                                             .where(link.c.source_id.in_(sources))):
        before[source_id].append(target_id)
    conn.execute(link.delete().where(link.c.source_id.in_(sources),
                                     link.c.target_id == source))
    missing = [i for i in sources if target not in before[i]]
    if missing:
        conn.execute(link.insert(), [{"source_id": i, "target_id": target} for i in missing])
    table = other.table
    conn.execute(table.update().where(table.c.id.in_(sources)).values(
        version=table.c.version + 1, updated_at=ctx.now, updated_by=ctx.user_id))
    audit_changes(conn, op.compiled, ctx, other.name, "update", [
        (i, {field_def.name: [sorted(before[i]),
                              sorted({*before[i], target} - {source})]}) for i in sources],
        note)


def unmerge_record(op: Operation, model: EntityModel, record_id: int) -> None:
    """Undo a merge for one merged-away record: restore it from the recycle bin and
    point back at it what the merge moved from it and still points at the kept record.
    The kept record keeps the values the merge chose (its history shows them)."""
    ctx, conn = op.ctx, op.conn
    audit = op.tables.audit
    deleted = conn.execute(sa.select(audit.c.note).where(
        audit.c.entity == model.name, audit.c.record_id == record_id,
        audit.c.action == "delete").order_by(audit.c.id.desc()).limit(1)).scalar()
    kept = _merged_into(model, deleted)
    if kept is None:
        raise Conflict(message("not_merged", ctx.locale, id=record_id))
    restore_record(conn, op.compiled, model, ctx, record_id)
    moved = conn.execute(sa.select(audit.c.entity, audit.c.record_id, audit.c.changes).where(
        audit.c.note == merge_note(model.name, record_id, kept))).all()
    only = {(entity, name, moved_id) for entity, moved_id, changes in moved
            for name in (changes or {})}
    _repoint(op, model, kept, record_id, f"unmerged: {model.name} #{record_id} ← #{kept}",
             only)


def _merged_into(model: EntityModel, note: str | None) -> int | None:
    """The record a merged-away record was merged into, from its deletion's note (as
    written now, or as merges before structured notes wrote it)."""
    found = parsed(note)
    if found is not None:
        params = found["params"]
        if found["key"] == "note_merged_into" and params.get("entity") == entity_part(
                model.name) and isinstance(params.get("id"), int):
            return int(params["id"])
        return None
    prefix = f"merged into {model.name} #"
    if note is None or not note.startswith(prefix) or not note[len(prefix):].isdigit():
        return None
    return int(note[len(prefix):])
