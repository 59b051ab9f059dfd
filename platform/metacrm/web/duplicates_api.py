"""REST endpoints of duplicates and merges (docs/cleaning-and-duplicates.md):
``GET /api/<entity>/duplicates`` lists groups of likely duplicates,
``POST /api/<entity>/merge`` merges records, ``POST /api/<entity>/<id>/unmerge``
undoes a merge for one merged-away record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..base.problems import Invalid, unknown_keys
from ..compile.compiled import Compiled
from ..i18n import message
from ..runtime.duplicate_groups import MAX_GROUPS, group_cursor, list_duplicate_groups
from ..runtime.merge import merge_records, unmerge_record
from ..runtime.operation import Operation
from ..runtime.reads import get_record
from ..values import parse_integer_text
from .auth import current_context
from .requests import (
    entity_model,
    json_body,
    platform,
    record_response,
    refuse_nul_values,
    with_fresh_schema,
)

duplicates_api = Blueprint("metacrm_duplicates", __name__, url_prefix="/api")
duplicates_api.before_request(refuse_nul_values)

MERGE_KEYS = ("keep", "others", "values")


@duplicates_api.get("/<entity>/duplicates")
def duplicate_groups(entity: str) -> Any:
    ctx = current_context()
    errors, more = unknown_keys(request.args, ("rule", "limit", "cursor"), ctx.locale)
    limit = MAX_GROUPS
    if "limit" in request.args:
        try:
            limit = parse_integer_text(request.args["limit"])
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_GROUPS:
            errors["limit"] = [message("merge_limit", ctx.locale, max=MAX_GROUPS)]
    if errors:
        raise Invalid(errors, more=more)
    rule = request.args.get("rule")

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        if rule is not None and rule not in {r.name for r in model.entity.duplicates}:
            raise Invalid({"rule": [message("unknown_rule", ctx.locale, rule=rule)]})
        start = group_cursor(model, request.args.get("cursor"), rule)
        with platform().reading() as conn:
            groups, following = list_duplicate_groups(
                Operation(conn, compiled, ctx), model, rule=rule, limit=limit, start=start)
        return {"groups": groups,
                "next_cursor": following.encode() if following is not None else None}

    return jsonify(with_fresh_schema(run))



@duplicates_api.post("/<entity>/merge")
def merge(entity: str) -> Any:
    ctx = current_context()
    body = json_body(ctx)
    errors, more = unknown_keys(body, MERGE_KEYS, ctx.locale)
    if errors:
        raise Invalid(errors, more=more)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            return merge_records(Operation(conn, compiled, ctx), model, body.get("keep"),
                                 body.get("others"), body.get("values"))

    return record_response(with_fresh_schema(run))


@duplicates_api.post("/<entity>/<id:record_id>/unmerge")
def unmerge(entity: str, record_id: int) -> Any:
    ctx = current_context()

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            op = Operation(conn, compiled, ctx)
            unmerge_record(op, model, record_id)
            return get_record(conn, op.viewer, model, record_id)

    return record_response(with_fresh_schema(run))
