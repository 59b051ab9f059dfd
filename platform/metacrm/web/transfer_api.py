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
    ids, from_owner = body.get("ids"), body.get("from_owner")
    if (ids is None) == (from_owner is None):
        errors.setdefault("ids", []).append(message("transfer_which", lang))
    if ids is not None:
        if not isinstance(ids, list) or not ids or not all(_is_id(i) for i in ids):
            errors.setdefault("ids", []).append(message("transfer_ids", lang))
        elif len(set(ids)) > MAX_TRANSFER:
            errors.setdefault("ids", []).append(message("transfer_too_many", lang,
                                                        max=MAX_TRANSFER))
    for key in ("from_owner", "to"):
        value = body.get(key)
        if (value is not None or key == "to") and not _is_id(value):
            errors[key] = [message("transfer_user", lang)]
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        errors["note"] = [message("transfer_note", lang, max=MAX_NOTE)]
    if not isinstance(body.get("preview"), bool):
        errors["preview"] = [message("transfer_preview", lang)]
    if errors:
        raise Invalid(errors, more=more)
    return TransferRequest(to=body["to"], ids=tuple(ids) if ids is not None else None,
                           from_owner=from_owner, note=(note or "").strip() or None,
                           preview=body["preview"])


def _is_id(value: Any) -> bool:
    # bool is an int in Python; true is not user 1.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
