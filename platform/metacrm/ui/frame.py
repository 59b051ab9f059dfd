"""A whole page around its content: base.html's head, the reader's top bar and their
session's marks, kept once per program and language (``fragments.kept_slotted``) and
filled per request. A page whose template only sets a title and content can hand
them here instead of rendering base.html through Jinja on every request."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from ..compile.compiled import Compiled
from .blueprint import topbar
from .fragments import kept_slotted, slot
from .shell import Shell


def framed_page(compiled: Compiled, shell: Shell, title: str, content: Markup) -> str:
    """The page as ``render_template`` of a template extending base.html with this
    ``title`` block and ``content`` block would make it."""
    marks = Markup("")
    if shell.csrf_token:
        marks += Markup(' data-csrf="{}"').format(shell.csrf_token)
    if shell.user_id:
        marks += Markup(' data-user-id="{}"').format(shell.user_id)
    language = shell.language
    return kept_slotted(
        compiled, ("ui/framed.html",), language,
        lambda: render_template("ui/framed.html", shell=shell, language=language, slot=slot),
        {"title": title, "body_attributes": marks, "topbar": topbar(shell),
         "content": content})
