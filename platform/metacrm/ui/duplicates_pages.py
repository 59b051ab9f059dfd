"""The duplicates list of an entity and the merge page: groups of likely duplicates
(runtime/duplicate_groups.py), each a link to a page that shows the records side by
side, a radio per field for the value to keep and one for the record to keep, and
merges them through the engine's merge (runtime/merge.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for

from ..base.problems import Invalid
from ..runtime.duplicate_groups import group_cursor, list_duplicate_groups
from ..runtime.merge import MAX_MERGED, merge_records
from ..runtime.operation import Operation
from ..web.requests import platform
from .blueprint import pages
from .display import display, record_title
from .entity_page import EntityPage, open_entity_page
from .layout import record_fields


@pages.get("/<entity>/duplicates")
def duplicates_page(entity: str) -> Any:
    with open_entity_page(entity, "read") as page:
        start = group_cursor(page.model, request.args.get("cursor"), None)
        groups, following = list_duplicate_groups(page.op, page.model, start=start)
        may_merge = page.access.allows("update") and page.access.allows("delete")
    return render_template("ui/duplicates.html", shell=page.shell, entity=page.model.entity,
                           language=page.language, groups=groups, may_merge=may_merge,
                           next_cursor=following.encode() if following else None)


def _ids(raw: str) -> list[int]:
    ids = [int(part) for part in raw.split(",") if part.strip().isdigit()]
    return list(dict.fromkeys(ids))[:MAX_MERGED]


def _merge_view(page: EntityPage, ids: list[int], errors: dict[str, list[str]],
                chosen: dict[str, str], keep: int | None, status: int = 200) -> Response:
    compiled, model, access = page.compiled, page.model, page.access
    records = [page.record(i) for i in ids]
    owner = model.entity.owned_by
    fields = [f for f in record_fields(model.entity, access.hidden)
              if f.writable and f.name not in access.readonly and f.name != owner
              and f.name != model.state_field]
    rows = []
    for field in fields:
        shown = [display(compiled, field, r.get(field.name), page.language) for r in records]
        if len(set(shown)) <= 1:
            continue  # the same everywhere: nothing to choose
        first = next((r["id"] for r in records if r.get(field.name) not in (None, "", [])),
                     records[0]["id"])
        rows.append({"field": field, "values": list(zip([r["id"] for r in records], shown,
                                                         strict=True)),
                     "chosen": chosen.get(field.name, str(first))})
    body = render_template(
        "ui/merge.html", shell=page.shell, entity=model.entity, language=page.language,
        records=[{"id": r["id"], "title": record_title(compiled, model.name, r)}
                 for r in records],
        rows=rows, keep=keep or ids[0], ids=",".join(str(i) for i in ids),
        errors=[m for texts in errors.values() for m in texts])
    return Response(body, status=status, mimetype="text/html")


@pages.get("/<entity>/merge")
def merge_page(entity: str) -> Any:
    ids = _ids(request.args.get("ids", ""))
    with open_entity_page(entity, "update", "delete") as page:
        if len(ids) < 2:
            raise Invalid({"ids": ["Give two or more record ids: ?ids=1,2"]})
        return _merge_view(page, ids, {}, {}, None)


@pages.post("/<entity>/merge")
def merge_from_form(entity: str) -> Any:
    ids = _ids(request.form.get("ids", ""))
    keep_text = request.form.get("keep", "")
    keep = int(keep_text) if keep_text.isdigit() else None
    chosen = {name[len("field."):]: value for name, value in request.form.items()
              if name.startswith("field.")}
    with open_entity_page(entity, "update", "delete") as page:
        model, ctx = page.model, page.ctx
    values = {name: int(value) for name, value in chosen.items() if value.isdigit()}
    try:
        with platform().writing() as conn:
            merged = merge_records(Operation(conn, page.compiled, ctx), model, keep,
                                   [i for i in ids if i != keep], values)
    except Invalid as problem:
        with open_entity_page(entity, "update", "delete") as again:
            return _merge_view(again, ids, problem.listed(ctx.locale), chosen, keep, 422)
    return redirect(url_for(".record_page", entity=entity, record_id=merged["id"]), 303)
