"""The recycle bin of an entity, for those whose role may delete (and so restore):
deleted records, newest deletion first, each restored by the API's restore."""

from __future__ import annotations

from typing import Any

from flask import render_template

from ..runtime.query import parse_list_query
from ..runtime.reads import list_records
from .blueprint import pages
from .display import datetime_text, record_title
from .entity_page import open_entity_page

BIN_PAGE = 50


@pages.get("/<entity>/deleted")
def recycle_bin(entity: str) -> Any:
    with open_entity_page(entity, "read", "delete") as page:
        compiled, model, viewer = page.compiled, page.model, page.viewer
        query = parse_list_query({"limit": [str(BIN_PAGE)]}, model, viewer, ("-deleted_at",))
        found = list_records(page.conn, viewer, model, query, deleted=True,
                             operation="delete")
    items = [{"id": item["id"], "title": record_title(compiled, entity, item),
              "deleted_at": datetime_text(item.get("deleted_at") or item.get("updated_at"))}
             for item in found["items"]]
    return render_template("ui/recycle.html", shell=page.shell, entity=model.entity,
                           language=page.language, items=items)
