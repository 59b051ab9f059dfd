"""REST resources for every entity: list, get, create, bulk, update, delete,
recycle bin, restore and history (see docs/api.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from ..base.problems import MAX_HINTED_KEYS, MAX_REPORTED_ERRORS, Invalid, unknown_keys
from ..compile.compiled import Compiled
from ..i18n import message
from ..runtime import duplicate_batches as twins
from ..runtime.access import Viewer
from ..runtime.duplicates import DUPLICATES_MEMBER
from ..runtime.operation import Operation
from ..runtime.payload import read_payload
from ..runtime.query import parse_list_query
from ..runtime.reads import get_record, list_records, read_history
from ..runtime.recycle import delete_record, restore_record
from ..runtime.stored_rows import not_found
from ..runtime.workflow import workflow_view
from ..runtime.writes import MAX_BULK, create_checked, create_records, update_record
from .auth import current_context
from .connection import request_reading, request_writing
from .requests import (
    entity_model,
    if_match,
    json_body,
    platform,
    record_response,
    with_fresh_schema,
)

api = Blueprint("metacrm_api", __name__, url_prefix="/api")


@api.get("/<entity>")
def list_entity(entity: str) -> Any:
    return _list(entity, deleted=False)


@api.get("/<entity>/deleted")
def list_deleted(entity: str) -> Any:
    return _list(entity, deleted=True)


def _list(entity: str, *, deleted: bool) -> Any:
    ctx = current_context()
    args = request.args.to_dict(flat=False)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with request_reading() as conn:
            viewer = Viewer(compiled, ctx.principal, conn, platform().people)
            viewer.of(model).require("read", ctx)
            if deleted:  # the recycle bin is for those who may delete (and so restore)
                viewer.of(model).require("delete", ctx)
            query = parse_list_query(args, model, viewer, ("-deleted_at",) if deleted
                                     else model.entity.default_sort)
            return list_records(conn, viewer, model, query, deleted=deleted,
                                operation="delete" if deleted else "read")

    return jsonify(with_fresh_schema(run))


@api.get("/<entity>/<id:record_id>")
def get_entity(entity: str, record_id: int) -> Any:
    ctx = current_context()
    args = {k: v for k, v in request.args.to_dict(flat=False).items()
            if k in ("fields", "expand")}

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with request_reading() as conn:
            op = Operation(conn, compiled, ctx)
            viewer = op.viewer
            viewer.of(model).require("read", ctx)
            query = parse_list_query(args, model, viewer)
            record = get_record(conn, viewer, model, record_id, query=query)
            if record is None:
                raise not_found(compiled.models[entity], record_id, ctx)
            # What the caller may do next: the workflow's transitions, a pending chain.
            record.update(workflow_view(op, model, record_id))
        return record

    return record_response(with_fresh_schema(run))


@api.post("/<entity>")
def create_entity(entity: str) -> Any:
    ctx = current_context()
    body = json_body(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        access = Viewer(compiled, ctx.principal).of(model)
        access.require("create", ctx)
        values = read_payload(model, ctx, body, creating=True, access=access)
        return create_checked(request_reading, request_writing, compiled, model, ctx, values)

    record = with_fresh_schema(run)
    response = record_response(record, 201)
    response.headers["Location"] = url_for(".get_entity", entity=entity, record_id=record["id"])
    return response


@api.post("/<entity>/bulk")
def bulk_create(entity: str) -> Any:
    ctx = current_context()
    entity_model(platform().compiled, entity, ctx)
    body = json_body(ctx)
    errors, more = unknown_keys(body, ("items",), ctx.locale)
    items = body.get("items")
    if not isinstance(items, list) or not items:
        errors["items"] = ['Expected {"items": [ {...}, ... ]} with at least one record.']
    elif len(items) > MAX_BULK:
        errors["items"] = [message("too_many", ctx.locale, max=MAX_BULK)]
    if errors:
        raise Invalid(errors, more=more)
    records: list[Any] = items if isinstance(items, list) else []

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        access = Viewer(compiled, ctx.principal).of(model)
        access.require("create", ctx)
        access.require("import", ctx)
        rows: list[dict[str, Any]] = []
        errors: dict[str, list[str]] = {}
        unknown, more = False, 0
        for index, item in enumerate(records):
            try:
                # Spelling hints for the first item with unknown keys only: a thousand
                # items of the same typo need one.
                rows.append(read_payload(model, ctx, item, creating=True, access=access,
                                         hints=0 if unknown else MAX_HINTED_KEYS))
            except Invalid as problem:
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.update({f"items[{index}].{k}": v for k, v in problem.errors.items()})
                else:
                    more += len(problem.errors)
                more += problem.more
                unknown = unknown or problem.names_unknown
        if errors:
            raise Invalid(errors, names_unknown=unknown, more=more)
        with request_writing() as conn:
            # Every item counts for the later ones, as if created one by one in order;
            # a blocking match anywhere refuses them all (409), before anything is written.
            op = Operation(conn, compiled, ctx)
            found = twins.verdicts(op, model, rows, twins.look_up(op, model, rows),
                                   [True] * len(rows), all_or_nothing=True)
            twins.refuse_blocked(op, model, rows, found)
            created = create_records(conn, compiled, model, ctx, rows, bulk=True, layout=True)
            ids = {index: item["id"] for index, item in enumerate(created)}
            shown = twins.written(op, model, found, ids)
            for item, verdict in zip(created, found, strict=True):
                warnings = twins.warnings(op, model, verdict, ids, shown, request_items=True)
                if warnings:
                    item[DUPLICATES_MEMBER] = warnings
        return created

    response = jsonify({"items": with_fresh_schema(run)})
    response.status_code = 201
    return response


@api.patch("/<entity>/<id:record_id>")
def update_entity(entity: str, record_id: int) -> Any:
    ctx = current_context()
    body = json_body(ctx)
    expected = if_match(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with request_writing() as conn:
            return update_record(conn, compiled, model, ctx, record_id, body, expected,
                                 check_duplicates=True)

    return record_response(with_fresh_schema(run))


@api.delete("/<entity>/<id:record_id>")
def delete_entity(entity: str, record_id: int) -> Any:
    ctx = current_context()
    expected = if_match(ctx)

    def run(compiled: Compiled) -> None:
        model = entity_model(compiled, entity, ctx)
        with request_writing() as conn:
            delete_record(conn, compiled, model, ctx, record_id, expected)

    with_fresh_schema(run)
    return Response(status=204)


@api.post("/<entity>/<id:record_id>/restore")
def restore_entity(entity: str, record_id: int) -> Any:
    ctx = current_context()

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with request_writing() as conn:
            restore_record(conn, compiled, model, ctx, record_id)
            return get_record(conn, Viewer(compiled, ctx.principal), model, record_id,
                              operation="delete")

    return record_response(with_fresh_schema(run))


@api.get("/<entity>/<id:record_id>/history")
def history(entity: str, record_id: int) -> Any:
    ctx = current_context()

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with request_reading() as conn:
            viewer = Viewer(compiled, ctx.principal, conn)
            viewer.of(model).require("read", ctx)
            found = read_history(conn, viewer, model, record_id, ctx.locale)
        if found is None:
            raise not_found(compiled.models[entity], record_id, ctx)
        return found

    return jsonify({"items": with_fresh_schema(run)})
