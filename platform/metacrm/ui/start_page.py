"""The start page: what the signed-in person may open (each entity with the records
within their reach, under the menu's headings), their approval tasks, and where the
definitions and the API live. A stranger is sent to sign in."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import ngettext

from ..base.problems import Unauthorized
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..runtime.access import Viewer
from ..runtime.approval_views import inbox
from ..runtime.operation import Operation
from ..runtime.reads import count_records
from ..web.requests import platform
from .blueprint import pages
from .dashboard_page import start_board
from .shell import build_shell, page_context

SHOWN_TASKS = 5


@pages.get("/")
def start() -> Any:
    try:
        ctx, csrf = page_context()
    except Unauthorized:
        return redirect(url_for("metacrm_login.form", next=request.full_path.rstrip("?")))
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        viewer = Viewer(compiled, ctx.principal, conn)
        counts = {item.entity: count_records(conn, viewer, compiled.models[item.entity])
                  for item in shell.navigation}
        tasks = inbox(Operation(conn, compiled, ctx), "pending", SHOWN_TASKS, None)["items"]
        board = start_board(conn, compiled, ctx)  # the caller's dashboard, widgets load later
    language = shell.language
    roles = compiled.catalog.roles
    # The customizations are one more bundle: what a reader wants is how many there are.
    bundles = [ngettext("%(num)d runtime customization", "%(num)d runtime customizations",
                        int(b.version)) if b.name == CUSTOMIZATIONS_BUNDLE
               else f"{b.label.get(language)} {b.version}" for b in compiled.catalog.bundles]
    return render_template(
        "ui/start.html", shell=shell, language=language, counts=counts, tasks=tasks, board=board,
        api_links=ctx.principal.admin,
        roles=[roles[r].label.get(language) if r in roles else r
               for r in sorted(ctx.principal.roles)], bundles=" · ".join(bundles))
