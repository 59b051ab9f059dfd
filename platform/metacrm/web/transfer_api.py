"""REST endpoint for batch transfer: ``POST /api/<entity>/transfer`` previews or
moves records to another user (see docs/transfer-and-export.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..base.context import Context
from ..base.problems import Invalid, unknown_keys
from ..compile.compiled import Compiled
from ..i18n import message
from ..runtime.access import Viewer
from ..runtime.transfer import (
    MAX_TRANSFER,
    TransferRequest,
    transfer_records,
    transferable_owner,
)
from ..values import parse_integer_value
from .auth import current_context
from .requests import entity_model, json_body, platform, refuse_nul_values, with_fresh_schema

transfer_api = Blueprint("metacrm_transfer", __name__, url_prefix="/api")
transfer_api.before_request(refuse_nul_values)

KEYS = ("ids", "from_owner", "to", "note", "preview")
MAX_NOTE = 1000


@transfer_api.post("/<entity>/transfer")
def transfer(entity: str) -> Any:
    ctx = current_context()
    body = json_body(ctx)

    def run(compiled: Compiled) -> Any:
        model = entity_model(compiled, entity, ctx)
        transferable_owner(model, ctx)
        Viewer(compiled, ctx.principal).of(model).require("transfer", ctx)
        wanted = read_transfer_request(body, ctx)
        # A preview only reads: it neither takes the write lock nor holds row locks.
        connect = platform().reading if wanted.preview else platform().writing
        with connect() as conn:
            return transfer_records(conn, compiled, model, ctx, wanted)

    return jsonify(with_fresh_schema(run))


def read_transfer_request(body: dict[str, Any], ctx: Context) -> TransferRequest:
    """The request body (a JSON object), checked: every problem at once, as 422 per key."""
    lang = ctx.locale
    errors, more = unknown_keys(body, KEYS, lang)
    ids, from_owner, to = body.get("ids"), _id(body.get("from_owner")), _id(body.get("to"))
    if (ids is None) == (body.get("from_owner") is None):
        errors.setdefault("ids", []).append(message("transfer_which", lang))
    if ids is not None:
        ids = [_id(i) for i in ids] if isinstance(ids, list) else []
        if not ids or None in ids:
            errors.setdefault("ids", []).append(message("transfer_ids", lang))
        elif len(set(ids)) > MAX_TRANSFER:
            errors.setdefault("ids", []).append(message("transfer_too_many", lang,
                                                        max=MAX_TRANSFER))
    for key, value in (("from_owner", from_owner), ("to", to)):
        if (body.get(key) is not None or key == "to") and value is None:
            errors[key] = [message("transfer_user", lang)]
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        errors["note"] = [message("transfer_note", lang, max=MAX_NOTE)]
    if not isinstance(body.get("preview"), bool):
        errors["preview"] = [message("transfer_preview", lang)]
    if errors:
        raise Invalid(errors, more=more)
    return TransferRequest(to=to, ids=tuple(ids) if ids is not None else None,  # type: ignore[arg-type]
                           from_owner=from_owner, note=(note or "").strip() or None,
                           preview=body["preview"])


def _id(value: Any) -> int | None:
    """A record or user id as the OpenAPI document's integer (5.0 too; true is not user
    1, "5" is not 5); None if it is not one."""
    try:
        number = parse_integer_value(value)
    except ValueError:
        return None
    return number if number > 0 else None
