"""``/api/reports/<name>/subscription``: a person subscribes themselves to a report by
e-mail (every day, week or month, with the parameters they chose), changes it or
unsubscribes; ``/api/report-subscriptions`` lists theirs (runtime/report_subscriptions.py;
sent by the ``reports.schedules`` task, run as them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..base.problems import NotFound
from ..i18n import message
from ..runtime.operation import Operation
from ..runtime.report_subscriptions import (
    find_subscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from .auth import current_context
from .connection import request_reading, request_writing
from .requests import body_object, platform, refuse_nul_values

report_subscriptions_api = Blueprint("metacrm_report_subscriptions", __name__,
                                     url_prefix="/api")
report_subscriptions_api.before_request(refuse_nul_values)
BODY_KEYS = ("every", "day", "at", "query")


@report_subscriptions_api.get("/report-subscriptions")
def subscriptions() -> Any:
    """The caller's subscriptions, by report name."""
    ctx = current_context()
    with request_reading() as conn:
        return jsonify({"items": list_subscriptions(Operation(conn, platform().compiled, ctx))})


@report_subscriptions_api.get("/reports/<name>/subscription")
def subscription(name: str) -> Any:
    ctx = current_context()
    with request_reading() as conn:
        found = find_subscription(Operation(conn, platform().compiled, ctx), name)
    if found is None:
        raise NotFound(message("no_subscription", ctx.locale, report=name), key="report")
    return jsonify(found)


@report_subscriptions_api.put("/reports/<name>/subscription")
def put_subscription(name: str) -> Any:
    """Subscribe (201) or change the subscription (200)."""
    ctx = current_context()
    body = body_object(ctx, BODY_KEYS)
    with request_writing() as conn:
        found, new = subscribe(Operation(conn, platform().compiled, ctx), name, body)
    response = jsonify(found)
    response.status_code = 201 if new else 200
    return response


@report_subscriptions_api.delete("/reports/<name>/subscription")
def delete_subscription(name: str) -> Any:
    ctx = current_context()
    with request_writing() as conn:
        unsubscribe(Operation(conn, platform().compiled, ctx), name)
    return Response(status=204)
