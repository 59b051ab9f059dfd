"""What transitions and approval outcomes do besides changing the state: set fields
(CEL expressions of the record), create a related record, notify people, call a
plugin's hook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, Principal
from ..base.problems import Conflict, Invalid
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.workflows import CompiledAction
from ..definitions import ApproverDef
from ..expressions import EvaluationError
from ..i18n import message
from ..plugins import HookEvent, HookRefused, Plugin, find_hook
from ..values import json_value
from .approvers import resolve_approvers
from .computed import computed_value, expression_values
from .holdings import record_holder
from .notifications import notify
from .operation import Operation
from .payload import read_payload
from .rows import Row
from .writes import create_records


def caller_values(model: EntityModel, record: Row, ctx: Context,
                  reads: frozenset[str] | None = None) -> dict[str, Any]:
    """What a guard, a step condition or an action's expression sees: the record's
    fields, today, now, user, and the caller's roles; ``reads``: only the fields of
    those names (what the expressions to evaluate read)."""
    inputs = None if reads is None else {
        name: kind for name, kind in model.types.items() if name in reads}
    values = expression_values(model, record, ctx, inputs)
    values["roles"] = sorted(ctx.principal.roles)
    return values


def set_values(model: EntityModel, actions: Iterable[CompiledAction],
               record: Row, ctx: Context) -> dict[str, Any]:
    """The fields the ``set`` actions give, typed as the fields hold them."""
    found: dict[str, Any] = {}
    sets = [action for action in actions if action.definition.kind == "set"]
    if not sets:  # (the record's values as expressions see them cost a call per field)
        return found
    values = caller_values(model, record, ctx, frozenset().union(*(a.reads for a in sets)))
    for action in sets:
        for name, expression in action.values.items():
            found[name] = _evaluate(model, name, expression, values, ctx)
    return found


def _evaluate(model: EntityModel, name: str, expression: Any, values: Mapping[str, Any],
              ctx: Context) -> Any:
    field = model.entity.fields[name]
    try:
        return computed_value(field, expression.evaluate(values), ctx, model.catalog.field_types)
    except EvaluationError as exc:
        raise Conflict(message("action_failed", ctx.locale, field=name,
                               expression=expression.source, reason=exc.located())) from None
    except Invalid as exc:
        reason = " ".join(m for ms in exc.errors.values() for m in ms)
        raise Conflict(message("action_failed", ctx.locale, field=name,
                               expression=expression.source, reason=reason)) from None


def run_actions(conn: sa.Connection, compiled: Compiled, model: EntityModel, ctx: Context,
                record: Row, actions: Iterable[CompiledAction], *,
                plugins: Mapping[str, Plugin], event: str, submitter_id: int | None = None,
                approval_id: int | None = None) -> None:
    """The actions other than ``set``, after the record was saved (``record``)."""
    others = [action for action in actions if action.definition.kind != "set"]
    if not others:
        return
    values = caller_values(model, record, ctx)
    for action in others:
        kind = action.definition.kind
        if kind == "create":
            target = compiled.models[action.definition.entity or ""]
            body = {name: json_value(_evaluate(target, name, expression, values, ctx))
                    for name, expression in action.values.items()}
            # The definition asks for the record: the platform creates it, in the name
            # of the user whose step made it happen.
            acting = Context(Principal(ctx.user_id, system=True), ctx.locale, ctx.now)
            create_records(conn, compiled, target, acting,
                           [read_payload(target, acting, body, creating=True)])
        elif kind == "notify":
            op = Operation(conn, compiled, ctx, plugins)
            recipients = _recipients(op, model, record, action.definition.to,
                                     submitter_id if submitter_id is not None else ctx.user_id)
            notify(op, recipients, "message",
                   action.definition.message.as_dict(), entity=model.name,
                   record_id=record["id"], approval_id=approval_id)
        elif kind == "hook":
            _call_hook(plugins, action.definition.hook or "", model, record, event, ctx)


def _recipients(op: Operation, model: EntityModel, record: Row,
                to: Iterable[str], submitter_id: int | None) -> set[int]:
    found: set[int] = set()
    for recipient in to:
        kind, _, name = recipient.partition(":")
        if kind == "owner":
            holder = record_holder(op.conn, op.compiled, model, record)
            found |= {holder} if holder is not None else set()
        elif kind == "submitter":
            found |= {submitter_id} if submitter_id is not None else set()
        elif kind == "role":
            found |= set(resolve_approvers(op, ApproverDef("role", role=name), record, None))
        elif kind == "field" and record.get(name) is not None:
            found.add(record[name])
    return found


def _call_hook(plugins: Mapping[str, Plugin], name: str, model: EntityModel,
               record: Row, event: str, ctx: Context) -> None:
    hook = find_hook(plugins, name)
    try:
        hook(HookEvent(model.name, {k: json_value(v) for k, v in record.items()}, event,
                       ctx.user_id, ctx.locale))
    except HookRefused as exc:
        raise Conflict(message("hook_refused", ctx.locale, hook=name, reason=str(exc))) from None
