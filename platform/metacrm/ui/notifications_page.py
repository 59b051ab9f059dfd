"""The user's notifications, newest first, each opening what it is about; marking
them read is the API's (a button posting to /api/notifications/read)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..runtime.notifications import list_notifications
from ..runtime.operation import Operation
from ..web.requests import platform
from .blueprint import pages
from .shell import build_shell, page_context

SHOWN = 50


@pages.get("/notifications")
def notifications() -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        found = list_notifications(Operation(conn, compiled, ctx), unread_only=False,
                                   limit=SHOWN, after=None)
    return render_template("ui/notifications.html", shell=shell, language=shell.language,
                           items=found["items"], unread=found["unread"])
