"""My delegation periods (while one runs, my approval tasks go to my stand-in):
listed, added and ended through the approvals API."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..runtime.approvers import list_delegations
from ..runtime.operation import Operation
from ..web.requests import platform
from .blueprint import pages
from .shell import build_shell, page_context


@pages.get("/approvals/delegations")
def delegations() -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        periods = list_delegations(Operation(conn, compiled, ctx), ctx.user_id)
    return render_template("ui/delegations.html", shell=shell.at("approvals"),
                           language=shell.language, periods=periods)
