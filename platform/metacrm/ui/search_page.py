"""Global search: the text in the top bar looked up in every entity the viewer may
read that declares searchable fields, through each list's ``q`` (the same search
and scope as the API); a few hits per entity, each a link to its record."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ..runtime.access import Viewer
from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from ..web.requests import platform
from .blueprint import pages
from .display import record_title
from .shell import build_shell, page_context

HITS_PER_ENTITY = 5
MAX_QUERY = 200


@pages.get("/search")
def search() -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    text = request.args.get("q", "").strip()[:MAX_QUERY]
    groups = []
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        viewer = Viewer(compiled, ctx.principal, conn)
        for name, model in compiled.models.items() if text else ():
            if not model.entity.search or not viewer.can_read(model):
                continue
            args = {"q": [text], "limit": [str(HITS_PER_ENTITY)]}
            found = list_records(conn, viewer, model, parse_list_query(
                args, model, viewer, model.entity.default_sort))
            if found["items"]:
                groups.append({
                    "entity": name, "label": model.entity.plural.get(shell.language),
                    "more": bool(found.get("next_cursor")),
                    "hits": [(item["id"], record_title(compiled, name, item))
                             for item in found["items"]]})
    return render_template("ui/search.html", shell=shell, language=shell.language, q=text,
                           groups=groups)
