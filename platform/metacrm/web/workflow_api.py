"""REST resources of workflows: fire a transition on a record, submit a record to an
approval chain of its entity (see docs/definitions.md#workflows and docs/approvals.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..compile.compiled import Compiled
from ..runtime.access import Viewer
from ..runtime.workflow import fire, submission, submit, workflow_view
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

workflow_api = Blueprint("metacrm_workflow", __name__, url_prefix="/api")
workflow_api.before_request(refuse_nul_values)
RECORD_ID = "<id:record_id>"


@workflow_api.post(f"/<entity>/{RECORD_ID}/transitions/<name>")
def fire_transition(entity: str, record_id: int, name: str) -> Any:
    """Fire transition ``name``: ``{"values": {...}, "comment": "..."}``, both optional."""
    ctx = current_context()
    body = json_body(ctx) if request.get_data(cache=True) else None
    expected = if_match(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        plat = platform()
        with plat.writing() as conn:
            done = fire(conn, compiled, model, ctx, record_id, name, body, expected,
                        plat.plugins)
            return _answer(conn, compiled, model, ctx, record_id, done)

    return record_response(with_fresh_schema(run))


@workflow_api.post(f"/<entity>/{RECORD_ID}/approvals")
def submit_for_approval(entity: str, record_id: int) -> Any:
    """Submit the record to an approval chain of its own: ``{"approval": name}``."""
    ctx = current_context()
    approval, comment = submission(json_body(ctx), ctx)
    expected = if_match(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        plat = platform()
        with plat.writing() as conn:
            done = submit(conn, compiled, model, ctx, record_id, approval, comment, expected,
                          plat.plugins)
            return _answer(conn, compiled, model, ctx, record_id, done)

    return record_response(with_fresh_schema(run), 201)


def _answer(conn: Any, compiled: Compiled, model: Any, ctx: Any, record_id: int,
            done: dict[str, Any]) -> dict[str, Any]:
    """The record as the caller may now read it, with what it may do next."""
    record = dict(done["record"])
    record.update(workflow_view(conn, Viewer(compiled, ctx.principal, conn), model,
                                record_id, ctx))
    return record
