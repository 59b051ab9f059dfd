"""REST resources of the public pool (公海): list the pool, claim a record from it,
release a held record into it (see docs/pool.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..compile.compiled import Compiled
from ..i18n import message
from ..runtime.access import Viewer
from ..runtime.pool import claim, pool_of, release
from ..runtime.problems import BadQuery, Invalid
from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from .auth import current_context
from .requests import entity_model, if_match, json_body, platform, with_fresh_schema

pool_api = Blueprint("metacrm_pool", __name__, url_prefix="/api")

RELEASE_KEYS = ("reason",)


def _record_response(record: dict[str, Any]) -> Response:
    response = jsonify(record)
    response.headers["ETag"] = f'"{record["version"]}"'
    return response


@pool_api.get("/<entity>/pool")
def list_pool(entity: str) -> Any:
    """The records nobody holds, with the list's parameters (filters, sort, cursor…)."""
    ctx = current_context()
    args = request.args.to_dict(flat=False)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        _, owner = pool_of(model, ctx)
        viewer = Viewer(compiled, ctx.principal)
        viewer.of(model).require("claim", ctx)
        query = parse_list_query(args, model, viewer, model.entity.default_sort)
        query.conditions.append(model.table.c[owner].is_(None))
        with platform().reading() as conn:
            return list_records(conn, viewer, model, query)

    return jsonify(with_fresh_schema(run))


@pool_api.post("/<entity>/<int(max=9223372036854775807):record_id>/claim")
def claim_record(entity: str, record_id: int) -> Any:
    ctx = current_context()
    expected = if_match(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            return claim(conn, compiled, model, ctx, record_id, expected)

    return _record_response(with_fresh_schema(run))


@pool_api.post("/<entity>/<int(max=9223372036854775807):record_id>/release")
def release_record(entity: str, record_id: int) -> Any:
    ctx = current_context()
    expected = if_match(ctx)
    body = json_body(ctx)
    if not isinstance(body, dict):
        raise BadQuery(message("bad_json", ctx.locale))
    unknown = sorted(set(body) - set(RELEASE_KEYS))
    if unknown:
        raise Invalid({key: [message("unknown_field", ctx.locale, hint="")] for key in unknown})

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            return release(conn, compiled, model, ctx, record_id, body.get("reason"), expected)

    return _record_response(with_fresh_schema(run))
