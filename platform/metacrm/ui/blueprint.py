"""The pages' blueprint: its refusal page (a Problem raised by a page is a page in
the reader's language, not JSON) and the template filters every page uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from ..base.problems import Problem, Unauthorized
from ..runtime.report_answer import named_rows
from ..runtime.report_drill import drill_query, point_query
from ..web.connection import shared_reading
from ..web.requests import platform
from .display import datetime_text
from .fragments import kept_slotted, slot
from .language import babel_locale
from .shell import Shell, build_shell, page_context
from .workflow_panel import event_word

pages = Blueprint("metacrm_pages", __name__, template_folder="templates")


pages.add_app_template_filter(datetime_text, "when")
pages.add_app_template_filter(event_word, "event_word")
# the zone a form's date-time control shows and takes its time in
pages.add_app_template_global(lambda: platform().compiled.catalog.settings.zone, "time_zone")
# a report figure's list query, from the parts its answer carries once
pages.add_app_template_global(drill_query, "drill_query")
pages.add_app_template_global(point_query, "point_query")
# an answer's rows with their dimension values and figures by name
pages.add_app_template_global(named_rows, "named_rows")


@pages.app_template_global("topbar")
def topbar(shell: Shell) -> Markup:
    """The frame's top bar and navigation: the same for everyone with the same roles on
    the same kind of page, in one language, but for the reader's own name, unread count,
    search text, language links and sign-out token, filled in per request."""
    endpoint = request.endpoint
    designer = endpoint == "metacrm_pages.designer"  # marks its own link current
    reports = endpoint in ("metacrm_pages.reports_page", "metacrm_pages.report_page")
    dashboard = endpoint in ("metacrm_pages.dashboard_page",
                             "metacrm_pages.named_dashboard_page")
    others = tuple(code for code in shell.languages if code != shell.language)
    args = request.args
    values: dict[str, object] = {
        # (args.get raises and catches an exception when a parameter is not there.)
        "q": args["q"] if "q" in args else "", "unread": _badge(shell.unread),
        "user_name": shell.user_name, "user_id": shell.user_id,
        "csrf_token": shell.csrf_token}
    for code in others:
        values[f"lang_{code}"] = lang_query(request.args, code)
    # The key names all that the render reads besides the slots: the audience decides
    # the navigation, title and design right (with the language, kept_slotted's).
    key = ("ui/_topbar.html", shell.audience, shell.current, designer, reports, dashboard,
           bool(shell.csrf_token), bool(shell.user_id))
    return kept_slotted(platform().compiled, key, shell.language,
                        lambda: render_template("ui/_topbar.html", shell=shell, slot=slot,
                                                designer=designer, reports=reports,
                                                dashboard=dashboard),
                        values)


def _badge(unread: int) -> Markup | str:
    """The bell's count, shown only when there is something unread."""
    return Markup('<span class="badge">{}</span>').format(unread) if unread else ""


@pages.app_template_filter("lang_query")
def lang_query(args: Any, language: str) -> str:
    """This page's query string, in another language."""
    return urlencode([*((k, v) for k, v in args.items(multi=True) if k != "lang"),
                      ("lang", language)])


@pages.errorhandler(Problem)
def _problem(problem: Problem) -> Any:
    """A refusal on a page is a page in the reader's language, not JSON."""
    if isinstance(problem, Unauthorized):
        return redirect(url_for("metacrm_login.form", next=request.full_path.rstrip("?")))
    shell = None
    try:
        ctx, csrf = page_context()
        with shared_reading() as conn:
            shell, ctx = build_shell(conn, platform().compiled, ctx, csrf)
    except Problem:
        pass  # the page's frame needs a caller; the message alone will do
    language = shell.language if shell else babel_locale()
    messages = [text for texts in problem.listed(language).values() for text in texts]
    body = render_template("ui/error.html", status=problem.status, messages=messages,
                           language=language, shell=shell)
    return Response(body, status=problem.status, mimetype="text/html")
