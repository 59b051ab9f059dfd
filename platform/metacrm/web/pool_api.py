"""REST resources of the public pool (公海): list the pool, claim a record from it,
release a held record into it (see docs/pool.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..base.problems import Invalid, unknown_keys
from ..compile.compiled import Compiled
from ..runtime.access import Viewer
from ..runtime.pool import claim, list_pool, pool_of, release
from ..runtime.query import parse_list_query
from .auth import current_context
from .requests import (
    entity_model,
    if_match,
    json_body,
    platform,
    record_response,
    refuse_nul_values,
    with_fresh_schema,
)

pool_api = Blueprint("metacrm_pool", __name__, url_prefix="/api")
pool_api.before_request(refuse_nul_values)

RELEASE_KEYS = ("reason",)


@pool_api.get("/<entity>/pool")
def pool_records(entity: str) -> Any:
    """The records nobody holds, with the list's parameters (filters, sort, cursor…)."""
    ctx = current_context()
    args = request.args.to_dict(flat=False)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        pool_of(model, ctx)
        with platform().reading() as conn:
            viewer = Viewer(compiled, ctx.principal, conn)
            viewer.of(model).require("claim", ctx)
            query = parse_list_query(args, model, viewer, model.entity.default_sort)
            return list_pool(conn, viewer, model, query)

    return jsonify(with_fresh_schema(run))


@pool_api.post("/<entity>/<id:record_id>/claim")
def claim_record(entity: str, record_id: int) -> Any:
    ctx = current_context()
    expected = if_match(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            return claim(conn, compiled, model, ctx, record_id, expected)

    return record_response(with_fresh_schema(run))


@pool_api.post("/<entity>/<id:record_id>/release")
def release_record(entity: str, record_id: int) -> Any:
    ctx = current_context()
    expected = if_match(ctx)
    body = json_body(ctx)
    unknown, more = unknown_keys(body, RELEASE_KEYS, ctx.locale)
    if unknown:
        raise Invalid(unknown, more=more)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        with platform().writing() as conn:
            return release(conn, compiled, model, ctx, record_id, body.get("reason"), expected)

    return record_response(with_fresh_schema(run))
