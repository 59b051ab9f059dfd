"""The public pool (公海) of an entity whose records can be unowned: the records
nobody holds, claimed with one button; a held record's page offers its return
with a reason. Both are the REST API's claim and release (app.js)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ..compile.models import EntityModel
from ..runtime.access import EntityAccess
from ..runtime.pool import list_pool, pool_of
from ..runtime.query import parse_list_query
from .blueprint import pages
from .display import display
from .entity_page import open_entity_page
from .layout import expandable, list_columns
from .list_rows import cell_class

POOL_PAGE = 50


def may_release(model: EntityModel, access: EntityAccess, record: dict[str, Any],
                user_id: int | None) -> bool:
    """Whether the record page offers "return to the pool": the entity has one and the
    viewer holds the record (the engine decides the rest when it is pressed)."""
    owner = model.entity.owned_by
    if model.entity.pool is None or owner is None or not access.allows("update"):
        return False
    held_by = record.get(owner)
    held_id = held_by.get("id") if isinstance(held_by, dict) else held_by
    return held_id is not None and held_id == user_id


@pages.get("/<entity>/pool")
def pool_page(entity: str) -> Any:
    with open_entity_page(entity) as page:
        compiled, model, shell = page.compiled, page.model, page.shell
        conn, viewer, access = page.conn, page.viewer, page.access
        pool, _ = pool_of(model, page.ctx)  # 404 when the entity has no pool
        access.require("claim", page.ctx)
        columns = list_columns(model.entity, access.hidden)
        args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "lang"}
        args["fields"] = [",".join(c.name for c in columns)]
        if expand := expandable(columns):
            args["expand"] = [",".join(expand)]
        args.setdefault("limit", [str(POOL_PAGE)])
        query = parse_list_query(args, model, viewer, model.entity.default_sort)
        result = list_pool(conn, viewer, model, query)
    language = shell.language
    rows = [{"id": item["id"], "version": item["version"],
             "cells": [display(compiled, c, item.get(c.name), language) for c in columns]}
            for item in result["items"]]
    return render_template("ui/pool.html", shell=shell, entity=model.entity,
                           language=language, pool_label=pool.label.get(language),
                           columns=columns, classes=[cell_class(compiled, c) for c in columns],
                           rows=rows, q=request.args.get("q", ""))
