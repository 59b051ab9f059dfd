"""The list page of every entity (and its row count), through the engine's list call.

What a list page is for everyone with the same roles, in one language (its columns
and their formatters, links and labels, the actions those roles allow) is worked out
once per program (``ListPlan``); a request reads its rows, fills in its own
parameters and writes the rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import render_template, request
from markupsafe import Markup

from ..base.context import Principal
from ..compile.compiled import Compiled
from ..compile.forms import CompiledForm
from ..compile.models import EntityModel
from ..definitions.entities import FieldDef
from ..runtime.access import EntityAccess, Viewer
from ..runtime.query import LIST_PARAMETERS, parse_list_query
from ..runtime.reads import list_records
from ..runtime.saved_views import list_views
from ..web.auth import is_admin
from ..web.connection import shared_reading
from ..web.requests import entity_model, platform
from .blueprint import pages
from .display import Formatter, formatter_for
from .entity_page import EntityPage, open_entity_page
from .filters import OPERATOR_WORDS, active_filters, filterables
from .form_fields import choices_url
from .form_layout import layout_list_columns
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
from .layout import expandable, list_columns
from .list_rows import Column, list_header, list_rows
from .quick_create import quick_create_fields
from .shell import page_context, speak_users_language

PAGE_SIZE = 50


@dataclass(frozen=True)
class BulkActions:
    """What the list offers for the rows a person ticks (the API decides each)."""
    transfer: bool
    delete: bool
    export: dict[str, str] | None  # the export (csv, xlsx) of all the filters match

    @property
    def any_for_rows(self) -> bool:
        return self.transfer or self.delete


@dataclass(frozen=True)
class ListPlan:
    """A list page as its reader's roles decide it, in one language: the same for
    everyone with those roles (``EntityPage.shell.audience``), so kept per program."""

    form: CompiledForm | None
    columns: tuple[FieldDef, ...]
    query_args: dict[str, list[str]]  # the API's fields= and expand= for the columns
    labels: tuple[tuple[str, str, str], ...]  # each column's name, label, list_cell
    formatters: tuple[Formatter, ...]
    own: str  # a record's link but for its id
    targets: dict[str, str]  # the same for each entity a column refers to
    transfer: bool
    delete: bool
    export: bool
    can_create: bool
    can_import: bool
    has_board: bool
    has_pool: bool
    admin: bool


def list_plan(page: EntityPage) -> ListPlan:
    """``page``'s plan, worked out the first time its audience opens it in its language
    (and under its script root: the plan holds links)."""
    compiled, language = page.compiled, page.language
    key = ("list plan", request.script_root, page.model.name, page.shell.audience, language)
    found = compiled.memo.get(key)
    if isinstance(found, ListPlan):
        return found
    model, access, ctx = page.model, page.access, page.ctx
    form = compiled.form_for(model.name, ctx.principal)
    columns = (layout_list_columns(model.entity, form, access.hidden)
               or list_columns(model.entity, access.hidden))
    query_args = {"fields": [",".join(c.name for c in columns)]}
    expand = expandable(columns, page.viewer)
    if expand:
        query_args["expand"] = [",".join(expand)]
    can_create = access.allows("create")
    found = compiled.memo[key] = ListPlan(
        form=form, columns=columns, query_args=query_args,
        labels=tuple((c.name, c.label.get(language),
                      compiled.catalog.field_types.of(c).list_cell) for c in columns),
        formatters=tuple(formatter_for(compiled, c, language) for c in columns),
        own=kept_record_link(model.name),
        targets={c.to: kept_record_link(c.to) for c in columns
                 if c.type == "reference" and c.to},
        transfer=model.entity.owned_by is not None and access.allows("transfer"),
        delete=access.allows("delete"), export=access.allows("export"),
        can_create=can_create, can_import=can_create and access.allows("import"),
        has_board=any(f.type == "choice" for f in model.entity.fields.values()),
        has_pool=model.entity.pool is not None and access.allows("claim"),
        admin=is_admin(ctx))
    return found


@pages.get("/<entity>")
def list_page(entity: str) -> Any:
    with open_entity_page(entity, "read") as page:
        compiled, model, ctx, shell = page.compiled, page.model, page.ctx, page.shell
        conn, viewer, access = page.conn, page.viewer, page.access
        plan = list_plan(page)
        quick = _quick_create(compiled, model, access, plan.form, ctx.principal,
                              shell.language) if plan.can_create else None
        args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "lang"}
        args.update(plan.query_args)
        args.setdefault("limit", [str(PAGE_SIZE)])
        query = parse_list_query(args, model, viewer, model.entity.default_sort)
        result = list_records(conn, viewer, model, query)
        views = list_views(conn, compiled, ctx, entity)
    language = shell.language
    # Pairs, not a dict: a drill-down may repeat a parameter (a report's period and the
    # cell's month are both ranges on created_at), and every one must stay.
    pairs = list(request.args.items(multi=True))
    # Each parameter's first value, as request.args.get gives it (which raises and
    # catches an exception for every parameter that is not there).
    given: dict[str, str] = {}
    for name, value in pairs:
        given.setdefault(name, value)
    sort = given.get("sort") or ",".join(model.entity.default_sort)
    # The query string without its sort, encoded once for every column's sort link.
    unsorted = urlencode([(k, v) for k, v in pairs if k not in ("sort", "cursor")])
    header = [Column(name, label, cell, _order(name, sort), _sort_url(name, sort, unsorted))
              for name, label, cell in plan.labels]
    bulk = BulkActions(transfer=plan.transfer, delete=plan.delete,
                       export=_export_urls(entity, language, pairs) if plan.export else None)
    rows = list_rows(result["items"], plan.columns, header, plan.formatters, plan.own,
                     plan.targets,
                     kept_word(compiled, "Select", language) if bulk.any_for_rows else None)
    kept = [(k, v) for k, v in pairs if k != "cursor"]
    next_url = None
    if result.get("next_cursor"):
        next_url = "?" + urlencode([*kept, ("cursor", result["next_cursor"])])
    filters = [(k, v) for k, v in pairs if k not in (*LIST_PARAMETERS, "lang")]
    q = given.get("q", "")
    active = active_filters(compiled, model, pairs, language)

    def render() -> str:  # once per key: see the key below
        return render_template(
            "ui/_list_body.html", entity=model.entity, language=language, slot=slot,
            head_actions=kept_template(
                compiled, "ui/_head_actions.html",
                (entity, plan.has_pool, plan.has_board, plan.can_create), language,
                entity=model.entity, has_pool=plan.has_pool, has_board=plan.has_board,
                can_create=plan.can_create),
            share_roles=kept_template(compiled, "ui/_share_roles.html", (plan.admin,),
                                      language,
                                      roles=compiled.catalog.roles if plan.admin else {}),
            bulk_form=kept_template(compiled, "ui/_bulk_actions.html",
                                    (entity, bulk.transfer, bulk.delete), language,
                                    entity=model.entity, bulk=bulk)
            if rows and bulk.any_for_rows else None,
            filter_builder=_filter_builder(compiled, model, access.hidden, language),
            quick=quick, bulk=bulk, can_import=plan.can_import, has_rows=bool(rows),
            clearable=bool(q or filters),
            has_next=next_url is not None)

    # What the kept body is made of besides its slots: the entity, what the reader's
    # roles allow (the audience: quick create, buttons, filter builder, bulk actions,
    # sharing, export, import) and whether there are rows, filters to clear and a next page.
    key = ("ui/_list_body.html", entity, shell.audience, bool(rows), bool(q or filters),
           next_url is not None)
    body = kept_slotted(compiled, key, language, render, {
        "count_url": kept_url_for("metacrm_pages.list_count", entity=entity) + "?" + urlencode(
            [(k, v) for k, v in pairs if k not in ("cursor", "limit", "sort")]),
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
        "current_query": urlencode([(k, v) for k, v in pairs
                                    if k not in ("cursor", "limit", "lang")]),
        "export_csv": bulk.export["csv"] if bulk.export else "",
        "export_xlsx": bulk.export["xlsx"] if bulk.export else "",
        "header": list_header(header),
        "rows": rows,
        "next_url": next_url or ""})
    return framed_page(compiled, shell, model.entity.plural.get(language), body)


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


def _export_urls(entity: str, language: str, pairs: list[tuple[str, str]]
                 ) -> dict[str, str]:
    """The API's export of everything this list's filters, search and sort match, by
    format (CSV, XLSX), labelled in the page's language."""
    kept = urlencode([(k, v) for k, v in pairs if k not in ("cursor", "limit", "lang", "format")])
    base = kept_url_for("metacrm_export.export", entity=entity) + "?" + (
        f"{kept}&" if kept else "")
    # (A format's and a language's codes need no quoting.)
    return {fmt: f"{base}format={fmt}&lang={language}" for fmt in ("csv", "xlsx")}


def _order(name: str, current: str) -> str | None:
    return "ascending" if current == name else "descending" if current == f"-{name}" else None


def _sort_url(name: str, current: str, unsorted: str) -> str:
    """Sort by a column, or reverse it when it is already the sort (``unsorted``: the
    list's other parameters, encoded)."""
    # (A field's name needs no quoting: the definitions allow letters, digits and "_".)
    wanted = f"sort=-{name}" if current == name else f"sort={name}"
    return f"?{unsorted}&{wanted}" if unsorted else f"?{wanted}"
