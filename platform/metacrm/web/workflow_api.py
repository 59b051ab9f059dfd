"""REST resources of workflows: fire a transition on a record, submit a record to an
approval chain of its entity (see docs/definitions.md#workflows and docs/approvals.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..compile.compiled import Compiled
from ..runtime.operation import Operation
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
            op = Operation(conn, compiled, ctx, plat.plugins)
            return _answer(op, model, record_id, fire(op, model, record_id, name, body,
                                                      expected))

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
            op = Operation(conn, compiled, ctx, plat.plugins)
            return _answer(op, model, record_id, submit(op, model, record_id, approval,
                                                        comment, expected))

    return record_response(with_fresh_schema(run), 201)


def _answer(op: Operation, model: Any, record_id: int, done: dict[str, Any]
            ) -> dict[str, Any]:
    """The record as the caller may now read it, with what it may do next."""
    record = dict(done["record"])
    record.update(workflow_view(op, model, record_id))
    return record
