"""The page of one record of any entity, through the engine's read calls."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import render_template, request
from flask_babel import gettext

from ..runtime.duplicates import likely_duplicates
from ..runtime.form_conditions import hidden_by_conditions
from ..runtime.locks import why_children_locked, why_locked
from ..runtime.query import parse_list_query
from ..runtime.stored_rows import row_statement
from ..runtime.workflow import workflow_view
from .blueprint import pages
from .display import (
    datetime_text,
    display,
    link_of,
    record_title,
)
from .entity_page import open_entity_page
from .form_layout import arrange
from .layout import expandable, record_fields
from .pool_page import may_release
from .related import related_lists
from .workflow_panel import approval_detail, history, submittable, transitions


@pages.get("/<entity>/<int(max=9223372036854775807):record_id>")
def record_page(entity: str, record_id: int) -> Any:
    with open_entity_page(entity, "read") as page:
        compiled, model, ctx, shell = page.compiled, page.model, page.ctx, page.shell
        conn, op, viewer, access = page.conn, page.op, page.viewer, page.access
        fields = record_fields(model.entity, access.hidden)
        args: dict[str, list[str]] = {}
        expand = expandable(fields, viewer)
        if expand:
            args["expand"] = [",".join(expand)]
        record = page.record(record_id, parse_list_query(args, model, viewer))
        record.update(workflow_view(op, model, record_id))
        releasable = may_release(model, access, record, ctx.user_id)
        chain = approval_detail(op, record.get("_approval"))
        changes = history(op, model, record_id)
        chains = submittable(compiled, model) if chain is None else []
        form = compiled.form_for(entity, ctx.principal)
        stored = dict(conn.execute(row_statement(model), {"record_id": record_id})
                      .mappings().one())
        # what the form would hide on this record, the page leaves out
        unshown = hidden_by_conditions(form, model, ctx, stored, access.hidden)
        # a record its state or its chain keeps as it is offers no edit, and no new
        # child its lock would refuse: the page says why instead
        pending = record.get("_approval")  # workflow_view's: its id and approval
        locked = why_locked(op, model, stored, pending) if access.allows("update") else None
        can_update = access.allows("update") and locked is None
        related = [
            replace(each, can_create=False) if each.can_create and why_children_locked(
                op, model, stored, pending, compiled.models[each.entity], each.via) else each
            for each in related_lists(conn, viewer, model, form, record_id, shell.language)]
        duplicates = (likely_duplicates(op, model, record) if request.args.get("duplicates")
                      else [])
    language = shell.language
    tabs = arrange(model.entity, form, [f.name for f in fields if f.name not in unshown],
                   language)
    values = {f.name: (display(compiled, f, record.get(f.name), language),
                       link_of(f, record.get(f.name))) for f in fields}
    return render_template(
        "ui/record.html", shell=shell, entity=model.entity, language=language,
        record=record, title=record_title(compiled, entity, record), values=values,
        tabs=tabs, related_lists=related,
        transitions=transitions(compiled, model, record.get("_transitions") or [], record),
        approval=chain, submittable=chains, may_release=releasable, history=changes,
        can_update=can_update, locked=locked, duplicates=duplicates,
        updated_at=datetime_text(record.get("updated_at")),
        page_title=gettext("%(entity)s %(title)s", entity=model.entity.label.get(language),
                           title=record_title(compiled, entity, record)))

