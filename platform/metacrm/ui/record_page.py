"""The list and record pages of every entity, through the engine's read calls."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import render_template, request
from flask_babel import gettext
from markupsafe import Markup

from ..base.context import Principal
from ..compile.compiled import Compiled
from ..compile.forms import CompiledForm
from ..compile.models import EntityModel
from ..definitions.entities import FieldDef
from ..runtime.access import EntityAccess, Viewer
from ..runtime.duplicates import likely_duplicates
from ..runtime.form_conditions import hidden_by_conditions
from ..runtime.locks import why_children_locked, why_locked
from ..runtime.query import LIST_PARAMETERS, parse_list_query
from ..runtime.reads import list_records
from ..runtime.saved_views import list_views
from ..runtime.stored_rows import row_statement
from ..runtime.workflow import workflow_view
from ..web.auth import is_admin
from ..web.connection import shared_reading
from ..web.requests import entity_model, platform
from .blueprint import pages
from .display import (
    Formatter,
    datetime_text,
    display,
    formatter_for,
    link_of,
    record_title,
)
from .entity_page import open_entity_page
from .filters import OPERATOR_WORDS, active_filters, filterables
from .form_fields import choices_url
from .form_layout import arrange, layout_list_columns
from .fragments import (
    kept_fragment,
    kept_record_link,
    kept_slotted,
    kept_template,
    kept_url_for,
    kept_word,
    slot,
)
from .frame import framed_page
from .layout import expandable, list_columns, record_fields
from .list_rows import NUMERIC, Column, list_header, list_rows
from .pool_page import may_release
from .quick_create import quick_create_fields
from .related import related_lists
from .shell import page_context, speak_users_language
from .workflow_panel import approval_detail, history, submittable, transitions

PAGE_SIZE = 50


@pages.get("/<entity>")
def list_page(entity: str) -> Any:
    with open_entity_page(entity, "read") as page:
        compiled, model, ctx, shell = page.compiled, page.model, page.ctx, page.shell
        conn, viewer, access = page.conn, page.viewer, page.access
        form = compiled.form_for(entity, ctx.principal)
        columns = (layout_list_columns(model.entity, form, access.hidden)
                   or list_columns(model.entity, access.hidden))
        quick = _quick_create(compiled, model, access, form, ctx.principal,
                              shell.language) if access.allows("create") else None
        args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "lang"}
        args["fields"] = [",".join(c.name for c in columns)]
        expand = expandable(columns, viewer)
        if expand:
            args["expand"] = [",".join(expand)]
        args.setdefault("limit", [str(PAGE_SIZE)])
        query = parse_list_query(args, model, viewer, model.entity.default_sort)
        result = list_records(conn, viewer, model, query)
        views = list_views(conn, compiled, ctx, entity)
    language = shell.language
    sort = request.args.get("sort") or ",".join(model.entity.default_sort)
    # The query string without its sort, encoded once for every column's sort link.
    unsorted = urlencode([(k, v) for k, v in request.args.items(multi=True)
                          if k not in ("sort", "cursor")])
    header = [Column(c.name, c.label.get(language), c.value_type in NUMERIC,
                     _order(c.name, sort), _sort_url(c.name, sort, unsorted)) for c in columns]
    # Links are a record page's prefix and an id (fifty rows of url_for were most of a
    # page's time), the prefixes and each column's formatter kept per program.
    own = kept_record_link(entity)
    targets = {c.to: kept_record_link(c.to) for c in columns if c.type == "reference" and c.to}
    formatters = [_formatter(compiled, model, c, language) for c in columns]
    bulk = BulkActions(
        transfer=model.entity.owned_by is not None and access.allows("transfer"),
        delete=access.allows("delete"),
        export=_export_urls(entity, language) if access.allows("export") else None)
    rows = list_rows(result["items"], columns, header, formatters, own, targets,
                     kept_word(compiled, "Select", language) if bulk.any_for_rows else None)
    # Pairs, not a dict: a drill-down may repeat a parameter (a report's period and the
    # cell's month are both ranges on created_at), and every one must stay.
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs if k != "cursor"]
    next_url = None
    if result.get("next_cursor"):
        next_url = "?" + urlencode([*kept, ("cursor", result["next_cursor"])])
    has_board = any(f.type == "choice" for f in model.entity.fields.values())
    has_pool = model.entity.pool is not None and access.allows("claim")
    can_create = access.allows("create")
    admin = is_admin(ctx)
    can_import = can_create and access.allows("import")
    filters = [(k, v) for k, v in pairs if k not in (*LIST_PARAMETERS, "lang")]
    q = request.args.get("q", "")
    active = active_filters(compiled, model, pairs, language)

    def render() -> str:  # once per key: see the key below
        return render_template(
            "ui/_list_body.html", entity=model.entity, language=language, slot=slot,
            head_actions=kept_template(
                compiled, "ui/_head_actions.html", (entity, has_pool, has_board, can_create),
                language, entity=model.entity, has_pool=has_pool, has_board=has_board,
                can_create=can_create),
            share_roles=kept_template(compiled, "ui/_share_roles.html", (admin,), language,
                                      roles=compiled.catalog.roles if admin else {}),
            bulk_form=kept_template(compiled, "ui/_bulk_actions.html",
                                    (entity, bulk.transfer, bulk.delete), language,
                                    entity=model.entity, bulk=bulk)
            if rows and bulk.any_for_rows else None,
            filter_builder=_filter_builder(compiled, model, access.hidden, language),
            quick=quick, bulk=bulk, can_import=can_import, has_rows=bool(rows),
            clearable=bool(q or filters),
            has_next=next_url is not None)

    # What the kept body is made of besides its slots: the entity, what the reader's
    # roles allow (the audience: quick create, buttons, filter builder, bulk actions,
    # sharing, export, import) and whether there are rows, filters to clear and a next page.
    key = ("ui/_list_body.html", entity, shell.audience, bool(rows), bool(q or filters),
           next_url is not None)
    body = kept_slotted(compiled, key, language, render, {
        "count_url": kept_url_for("metacrm_pages.list_count", entity=entity) + "?" + urlencode(
            [(k, v) for k, v in request.args.items(multi=True)
             if k not in ("cursor", "limit", "sort")]),
        "csrf_token": shell.csrf_token or "",
        "q": q,
        "filters": Markup("").join(
            Markup('<input type="hidden" name="{}" value="{}">').format(name, value)
            for name, value in filters),
        "sort": sort,
        "active": Markup(render_template("ui/_active_filters.html", active=active))
        if active else "",
        "kept_args": Markup("").join(
            Markup('<input type="hidden" name="{}" value="{}">').format(name, value)
            for name, value in kept),
        "views_count": f" ({len(views)})" if views else "",
        "views": Markup(render_template("ui/_saved_views.html", views=views, entity=entity))
        if views else "",
        "current_query": urlencode([(k, v) for k, v in request.args.items(multi=True)
                                    if k not in ("cursor", "limit", "lang")]),
        "export_csv": bulk.export["csv"] if bulk.export else "",
        "export_xlsx": bulk.export["xlsx"] if bulk.export else "",
        "header": list_header(header),
        "rows": rows,
        "next_url": next_url or ""})
    return framed_page(compiled, shell, model.entity.plural.get(language), body)


def _formatter(compiled: Compiled, model: EntityModel, field: FieldDef, language: str
               ) -> Formatter:
    """How a column's values read (display.formatter_for), made once per program and
    language: an option list's labels are a dict built from the option set."""
    key = ("formatter", model.name, field.name, language)
    found = compiled.memo.get(key)
    if found is None:
        found = compiled.memo[key] = formatter_for(compiled, field, language)
    return found  # type: ignore[return-value]


def _quick_create(compiled: Compiled, model: EntityModel, access: EntityAccess,
                  form: CompiledForm | None, principal: Principal, language: str) -> Markup:
    """The list's quick-create controls (empty when the caller's layout has none), kept
    per set of roles: they decide the layout and the fields the caller may write."""
    def render() -> str:
        quick = quick_create_fields(compiled, model, access, form, language, choices_url)
        return render_template("ui/_quick_create.html", quick=quick,
                               language=language) if quick else ""

    admin = principal.admin or principal.system
    return kept_fragment(compiled, ("quick-create", model.name, principal.roles, admin),
                         language, render)


def _filter_builder(compiled: Compiled, model: EntityModel, hidden: frozenset[str],
                    language: str) -> Markup:
    """The filter builder's fields and conditions, kept per set of hidden fields."""
    return kept_fragment(compiled, ("filter-builder", model.name, hidden), language,
                         lambda: render_template(
                             "ui/_filter_builder.html", operator_words=OPERATOR_WORDS,
                             filterable=filterables(compiled, model, hidden, language)))


@dataclass(frozen=True)
class BulkActions:
    """What the list offers for the rows a person ticks (the API decides each)."""
    transfer: bool
    delete: bool
    export: dict[str, str] | None  # the export (csv, xlsx) of all the filters match

    @property
    def any_for_rows(self) -> bool:
        return self.transfer or self.delete


@pages.get("/<entity>/count")
def list_count(entity: str) -> Any:
    """How many records the list's filters match: the API's ``count=true``, loaded after
    the page so that a slow count never holds the rows back."""
    ctx, _ = page_context()
    compiled = platform().compiled
    model = entity_model(compiled, entity, ctx)
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "lang"}
    args.update(count=["true"], limit=["1"], fields=["id"])
    with shared_reading() as conn:
        ctx = speak_users_language(conn, compiled, ctx)
        viewer = Viewer(compiled, ctx.principal, conn)
        viewer.of(model).require("read", ctx)
        result = list_records(conn, viewer, model, parse_list_query(args, model, viewer))
    return render_template("ui/count.html", total=result["count"])


def _export_urls(entity: str, language: str) -> dict[str, str]:
    """The API's export of everything this list's filters, search and sort match, by
    format (CSV, XLSX), labelled in the page's language."""
    kept = [(k, v) for k, v in request.args.items(multi=True)
            if k not in ("cursor", "limit", "lang", "format")]
    base = kept_url_for("metacrm_export.export", entity=entity) + "?"
    return {fmt: base + urlencode([*kept, ("format", fmt), ("lang", language)])
            for fmt in ("csv", "xlsx")}


def _order(name: str, current: str) -> str | None:
    return "ascending" if current == name else "descending" if current == f"-{name}" else None


def _sort_url(name: str, current: str, unsorted: str) -> str:
    """Sort by a column, or reverse it when it is already the sort (``unsorted``: the
    list's other parameters, encoded)."""
    wanted = urlencode([("sort", f"-{name}" if current == name else name)])
    return f"?{unsorted}&{wanted}" if unsorted else f"?{wanted}"


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

