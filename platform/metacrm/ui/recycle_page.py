"""The recycle bin of an entity, for those whose role may delete (and so restore):
deleted records, newest deletion first, each restored by the API's restore."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..runtime.access import Viewer
from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from ..web.requests import entity_model, platform
from .blueprint import pages
from .display import datetime_text, record_title
from .shell import build_shell, page_context

BIN_PAGE = 50


@pages.get("/<entity>/deleted")
def recycle_bin(entity: str) -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    model = entity_model(compiled, entity, ctx)
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        viewer = Viewer(compiled, ctx.principal, conn)
        access = viewer.of(model)
        access.require("read", ctx)
        access.require("delete", ctx)
        query = parse_list_query({"limit": [str(BIN_PAGE)]}, model, viewer, ("-deleted_at",))
        found = list_records(conn, viewer, model, query, deleted=True, operation="delete")
    items = [{"id": item["id"], "title": record_title(compiled, entity, item),
              "deleted_at": datetime_text(item.get("deleted_at") or item.get("updated_at"))}
             for item in found["items"]]
    return render_template("ui/recycle.html", shell=shell.at(entity), entity=model.entity,
                           language=shell.language, items=items)
