"""REST resources of approval chains: the inbox (tasks assigned to me, chains I
submitted), one chain in full, deciding its current step (approve, reject), withdrawing,
commenting, handing one's task to someone else, and delegation periods (see
docs/approvals.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from ..base.context import Context
from ..base.problems import BadQuery, Forbidden, Invalid
from ..i18n import kind_name, message
from ..runtime.approval_actions import comment, delegate_task
from ..runtime.approval_state import load_chain
from ..runtime.approval_views import STATE_FILTERS, detail, inbox, require_visible, submitted
from ..runtime.approvals import APPROVED, REJECTED, decide, withdraw
from ..runtime.approvers import create_delegation, list_delegations, revoke_delegation
from ..values import OutOfRange, parse_integer_value, parse_text
from .auth import current_context, is_admin
from .requests import (
    body_object,
    operation,
    page_arguments,
    query_arguments,
    refuse_nul_values,
)

approvals_api = Blueprint("metacrm_approvals", __name__, url_prefix="/api/approvals")
approvals_api.before_request(refuse_nul_values)
APPROVAL_ID = "<id:approval_id>"
DELEGATION_ID = "<id:delegation_id>"
MAX_COMMENT = 2000
LIST_PARAMETERS = ("assigned", "submitted", "state", "limit", "cursor")


@approvals_api.get("")
def list_approvals() -> Any:
    """``?assigned=me`` (the default): my tasks; ``?submitted=me``: my requests. Both
    take ``state=pending|done|all`` (default pending; my tasks also ``delegated``: those I
    handed on), ``limit`` and ``cursor``."""
    ctx = current_context()
    args = query_arguments(ctx, LIST_PARAMETERS)
    which = [key for key in ("assigned", "submitted") if key in args]
    if len(which) > 1 or any(args[key] != "me" for key in which):
        raise BadQuery(message("approvals_which", ctx.locale), key=which[-1])
    kind = which[0] if which else "assigned"
    wanted = args.get("state", "pending")
    if wanted not in STATE_FILTERS or (kind == "submitted" and wanted == "delegated"):
        raise BadQuery(message("approvals_state", ctx.locale, states=", ".join(STATE_FILTERS)),
                       key="state")
    limit, after = page_arguments(ctx, args, kind)
    with operation(ctx, write=False) as op:
        listing = inbox if kind == "assigned" else submitted
        return jsonify(listing(op, wanted, limit, after))


@approvals_api.get(f"/{APPROVAL_ID}")
def show(approval_id: int) -> Any:
    ctx = current_context()
    with operation(ctx, write=False) as op:
        return jsonify(detail(op, approval_id))


@approvals_api.post(f"/{APPROVAL_ID}/approve")
def approve(approval_id: int) -> Any:
    return _decide(approval_id, APPROVED)


@approvals_api.post(f"/{APPROVAL_ID}/reject")
def reject(approval_id: int) -> Any:
    return _decide(approval_id, REJECTED)


def _decide(approval_id: int, verdict: str) -> Any:
    ctx = current_context()
    text = _comment(ctx, body_object(ctx, ("comment",), optional=True))
    with operation(ctx, write=True) as op:
        chain = load_chain(op, approval_id)
        require_visible(op, chain)  # 404 before 403
        decide(op, chain, verdict, text)
        return jsonify(detail(op, approval_id, chain))


@approvals_api.post(f"/{APPROVAL_ID}/withdraw")
def take_back(approval_id: int) -> Any:
    ctx = current_context()
    text = _comment(ctx, body_object(ctx, ("comment",), optional=True))
    with operation(ctx, write=True) as op:
        chain = load_chain(op, approval_id)
        require_visible(op, chain)
        withdraw(op, chain, text)
        return jsonify(detail(op, approval_id, chain))


@approvals_api.post(f"/{APPROVAL_ID}/comment")
def add_comment(approval_id: int) -> Any:
    """``{"comment": "..."}``: onto the timeline; the submitter and the current step's
    approvers are told."""
    ctx = current_context()
    text = _comment(ctx, body_object(ctx, ("comment",)))
    if text is None:
        raise Invalid({"comment": [message("comment_required", ctx.locale, max=MAX_COMMENT)]})
    with operation(ctx, write=True) as op:
        comment(op, approval_id, text)
        return jsonify(detail(op, approval_id))


@approvals_api.post(f"/{APPROVAL_ID}/delegate")
def hand_on(approval_id: int) -> Any:
    """``{"to": <user id>, "comment": "..."}``: my pending task of the current step goes
    to that user."""
    ctx = current_context()
    body = body_object(ctx, ("to", "comment"))
    to = _user_id(ctx, body, "to", required=True)
    text = _comment(ctx, body)
    with operation(ctx, write=True) as op:
        delegate_task(op, approval_id, to, text)
        return jsonify(detail(op, approval_id))


@approvals_api.get("/delegations")
def delegations() -> Any:
    """My delegation periods; an administrator may ask for anyone's with ``?user=``."""
    ctx = current_context()
    args = query_arguments(ctx, ("user",))
    user_id = ctx.user_id
    if "user" in args:
        user_id = _user_id(ctx, args, "user", required=True)
        if user_id != ctx.user_id and not is_admin(ctx):
            raise Forbidden(message("admin_only", ctx.locale))
    with operation(ctx, write=False) as op:
        return jsonify({"items": list_delegations(op, user_id)})


@approvals_api.post("/delegations")
def delegate_period() -> Any:
    """``{"delegate": id, "starts_at": ..., "ends_at": ..., "user": id}``: while it runs,
    tasks given to the user go to the delegate. ``starts_at`` defaults to now; ``user``
    (someone else) is for administrators."""
    ctx = current_context()
    body = body_object(ctx, ("delegate", "starts_at", "ends_at", "user"))
    errors: dict[str, list[str]] = {}
    delegate = _checked(errors, lambda: _user_id(ctx, body, "delegate", required=True))
    starts = _checked(errors, lambda: _time(ctx, body, "starts_at", default=ctx.now))
    ends = _checked(errors, lambda: _time(ctx, body, "ends_at"))
    user_id = _checked(errors, lambda: _user_id(ctx, body, "user")) or ctx.user_id
    if errors:
        raise Invalid(errors)
    if user_id != ctx.user_id and not is_admin(ctx):
        raise Forbidden(message("admin_only", ctx.locale))
    with operation(ctx, write=True) as op:
        made = create_delegation(op, user_id, delegate, starts, ends)
    response = jsonify(made)
    response.status_code = 201
    return response


@approvals_api.delete(f"/delegations/{DELEGATION_ID}")
def revoke(delegation_id: int) -> Any:
    ctx = current_context()
    with operation(ctx, write=True) as op:
        revoke_delegation(op, delegation_id, admin=is_admin(ctx))
    return Response(status=204)


def _comment(ctx: Context, body: Mapping[str, Any]) -> str | None:
    value = body.get("comment")
    if value is not None and (not isinstance(value, str) or len(value) > MAX_COMMENT):
        raise Invalid({"comment": [message("comment_required", ctx.locale, max=MAX_COMMENT)]})
    return value.strip() or None if isinstance(value, str) else None


def _user_id(ctx: Context, values: Mapping[str, Any], key: str, *, required: bool = False
             ) -> Any:
    value = values.get(key)
    if value is None and not required:
        return None
    try:
        # Text as a user id in any query string (64 bits, ASCII digits: what a page's
        # select sends, too); a JSON number as the document's integer (5.0 too).
        value = (parse_text("user", value) if isinstance(value, str)
                 else parse_integer_value(value))
    except ValueError:
        raise Invalid({key: [message("user_expected", ctx.locale)]}) from None
    if value < 1:
        raise Invalid({key: [message("user_expected", ctx.locale)]})
    return value


def _time(ctx: Context, body: Mapping[str, Any], key: str, *,
          default: datetime | None = None) -> datetime:
    value = body.get(key)
    if value is None and default is not None:
        return default
    problem = Invalid({key: [message("invalid", ctx.locale,
                                     kind=kind_name("datetime", ctx.locale))]})
    if not isinstance(value, str):
        raise problem
    try:
        return parse_text("datetime", value)
    except OutOfRange:
        raise Invalid({key: [message("datetime_range", ctx.locale)]}) from None
    except ValueError:
        raise problem from None


def _checked(errors: dict[str, list[str]], read: Any) -> Any:
    """``read()``, collecting its 422 errors with the others' (all are reported at once)."""
    try:
        return read()
    except Invalid as problem:
        for key, messages in problem.errors.items():
            errors.setdefault(key, []).extend(messages)
        return None
