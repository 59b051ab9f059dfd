"""The approval inbox: the tasks waiting for me, the requests I submitted, and
those finished; each opens the record, where the approval panel decides, or, for an
approver whose roles do not let them open the record, the request's own page."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext

from ..base.problems import BadQuery
from ..runtime.approval_views import STATE_FILTERS, detail, inbox, readable_records, submitted
from ..runtime.operation import Operation
from ..web.requests import platform
from .blueprint import pages
from .shell import build_shell, page_context

INBOX_SIZE = 50
# A task's state where it is not waiting any more, as the list shows it.
TASK_STATE_WORDS = {
    "approved": lazy_gettext("Approved"), "rejected": lazy_gettext("Rejected"),
    "skipped": lazy_gettext("Decided by another approver"),
    "cancelled": lazy_gettext("Cancelled"), "delegated": lazy_gettext("Handed on"),
    "withdrawn": lazy_gettext("Withdrawn"), "pending": lazy_gettext("Pending"),
}
VIEWS = {"assigned": inbox, "submitted": submitted}


@pages.get("/approvals")
def approval_inbox() -> Any:
    ctx, csrf = page_context()
    plat = platform()
    which = request.args.get("view", "assigned")
    wanted = request.args.get("state", "pending")
    if which not in VIEWS or wanted not in STATE_FILTERS or (
            which == "submitted" and wanted == "delegated"):
        raise BadQuery({"view": [", ".join(VIEWS)], "state": [", ".join(STATE_FILTERS)]})
    with plat.reading() as conn:
        shell, ctx = build_shell(conn, plat.compiled, ctx, csrf)
        op = Operation(conn, plat.compiled, ctx)
        listing = VIEWS[which](op, wanted, INBOX_SIZE, None)
        readable = readable_records(op, [(i["entity"], i["record_id"])
                                         for i in listing["items"]])
    return render_template("ui/inbox.html", shell=shell.at("approvals"), language=shell.language,
                           items=listing["items"], view=which, state=wanted,
                           states=STATE_FILTERS, task_states=TASK_STATE_WORDS,
                           readable=readable)


@pages.get("/approvals/<int(max=9223372036854775807):approval_id>")
def approval_page(approval_id: int) -> Any:
    """One request as its approver sees it, whether or not they may open its record
    (the same view as ``GET /api/approvals/<id>``; 404 to whoever may not see it)."""
    ctx, csrf = page_context()
    plat = platform()
    with plat.reading() as conn:
        shell, ctx = build_shell(conn, plat.compiled, ctx, csrf)
        op = Operation(conn, plat.compiled, ctx)
        chain = detail(op, approval_id)
        opens = (chain["entity"], chain["record_id"]) in readable_records(
            op, [(chain["entity"], chain["record_id"])])
    return render_template("ui/approval.html", shell=shell.at("approvals"),
                           language=shell.language, approval=chain, opens_record=opens)
