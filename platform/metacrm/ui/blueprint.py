"""The pages' blueprint: its refusal page (a Problem raised by a page is a page in
the reader's language, not JSON) and the template filters every page uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from ..base.problems import Problem, Unauthorized
from ..web.requests import platform
from .display import datetime_text
from .fragments import kept_template
from .language import babel_locale
from .shell import Shell, build_shell, page_context
from .workflow_panel import event_word

pages = Blueprint("metacrm_pages", __name__, template_folder="templates")


pages.add_app_template_filter(datetime_text, "when")
pages.add_app_template_filter(event_word, "event_word")


@pages.app_template_global("navigation")
def navigation(shell: Shell) -> Markup:
    """The frame's list of entities: the same for everyone whose roles read the same
    entities, so rendered once per list, language and current entity."""
    designer = request.endpoint == "metacrm_pages.designer"  # marks its own link current
    return kept_template(platform().compiled, "ui/_navigation.html",
                         (shell.navigation, shell.current, designer), shell.language,
                         shell=shell, designer=designer)


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
        with platform().reading() as conn:
            shell, ctx = build_shell(conn, platform().compiled, ctx, csrf)
    except Problem:
        pass  # the page's frame needs a caller; the message alone will do
    language = shell.language if shell else babel_locale()
    messages = [text for texts in problem.listed(language).values() for text in texts]
    body = render_template("ui/error.html", status=problem.status, messages=messages,
                           language=language, shell=shell)
    return Response(body, status=problem.status, mimetype="text/html")
