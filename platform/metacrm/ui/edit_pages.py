"""Creating and changing records from a page: the generated form posts to the
engine's own create and update calls (payload reading, permissions, rules,
If-Match versions), and a refusal comes back as messages next to its fields."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext

from ..base.context import Context
from ..base.problems import Conflict, Invalid, PreconditionFailed
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions import FieldDef
from ..identity.profiles import list_profiles
from ..runtime.access import EntityAccess, Viewer
from ..runtime.duplicates import DUPLICATES_MEMBER, DuplicateFound
from ..runtime.locks import pending_chain, why_locked
from ..runtime.payload import default_values, read_payload
from ..runtime.query import parse_list_query
from ..runtime.reads import get_record, list_records
from ..runtime.stored_rows import not_found, row_statement
from ..runtime.writes import create_checked, update_record
from ..web.requests import entity_model, platform
from .blueprint import pages
from .display import datetime_text, record_title
from .entity_page import EntityPage, open_entity_page
from .form_fields import choices_url, condition_values, editable_fields, form_fields, read_form
from .form_layout import arrange
from .reference_titles import reference_titles
from .shell import page_context

CHOICES_LIMIT = 20


def shown_fields(compiled: Compiled, model: EntityModel, access: EntityAccess, ctx: Context,
                 *, creating: bool) -> tuple[FieldDef, ...]:
    """The fields a form offers: those the role may write that the caller's layout
    places (all of them without a layout). A post reads only these, so a field the
    layout leaves out is never cleared by a form that did not show it."""
    editable = editable_fields(model, access, creating=creating)
    form = compiled.form_for(model.name, ctx.principal)
    if form is None:
        return editable
    placed = {item.name for _, item in form.form.fields()}
    if creating:  # the quick-create form posts here too
        placed |= {item.name for item in form.form.quick_create}
    return tuple(f for f in editable if f.name in placed)


def _render(page: EntityPage, *, record: dict[str, Any] | None, values: dict[str, Any],
            errors: dict[str, list[str]], status: int = 200,
            conflict: str | None = None,
            duplicates: list[dict[str, Any]] | None = None) -> Response:
    compiled, model, ctx, access = page.compiled, page.model, page.ctx, page.access
    fields = shown_fields(compiled, model, access, ctx, creating=record is None)
    with platform().reading() as conn:  # the titles of the records the controls hold
        titles = reference_titles(conn, Viewer(compiled, ctx.principal, conn), fields, values)
    language = page.language
    tabs = arrange(model.entity, compiled.form_for(model.name, ctx.principal),
                   [f.name for f in fields], language)
    general = [m for key, texts in errors.items() if key not in {f.name for f in fields}
               for m in texts]
    controls = form_fields(compiled, fields, values, errors, language, choices_url, titles)
    body = render_template(
        "ui/form.html", shell=page.shell, entity=model.entity, language=language,
        record=record, title=record_title(compiled, model.name, record) if record else None,
        fields={c.definition.name: c for c in controls}, tabs=tabs,
        context_values=condition_values(model, access, record, fields),
        general=general, conflict=conflict, duplicates=duplicates or [])
    return Response(body, status=status, mimetype="text/html")


@pages.get("/<entity>/new")
def new_record(entity: str) -> Any:
    with open_entity_page(entity, "create") as page:
        # Each control starts with what the record gets if it is left alone (as the API
        # writes it, as an edit form would show it), or what the address gives (a
        # contact's customer).
        model, types = page.model, page.compiled.catalog.field_types
        defaults = {}
        for name, value in default_values(model, page.ctx).items():
            convert = types.output_converter(model.entity.fields[name])
            defaults[name] = value if convert is None or value is None else convert(value)
        defaults.update((name, value) for name, value in request.args.items()
                        if name in model.entity.fields)
    return _render(page, record=None, values=defaults, errors={})


@pages.post("/<entity>/new")
def create_from_form(entity: str) -> Any:
    with open_entity_page(entity, "create") as page:
        compiled, model, ctx, access = page.compiled, page.model, page.ctx, page.access
        body = read_form(compiled.catalog,
                         shown_fields(compiled, model, access, ctx, creating=True),
                         request.form, creating=True)
    try:
        values = read_payload(model, ctx, body, creating=True, access=access)
        plat = platform()
        record = create_checked(plat.reading, plat.writing, compiled, model, ctx, values)
    except DuplicateFound as problem:  # a blocking rule: the form again, with the records
        return _render(page, record=None, values=request.form,
                       errors=problem.listed(ctx.locale), status=409,
                       duplicates=problem.extra["duplicates"])
    except Conflict as problem:  # a hold limit, a lock: the form again, as it was typed
        return _render(page, record=None, values=request.form,
                       errors=problem.listed(ctx.locale), status=409)
    except Invalid as problem:
        return _render(page, record=None, values=request.form,
                       errors=problem.listed(ctx.locale), status=422)
    # Warning rules: the record page lists the likely duplicates (and offers a merge).
    target = url_for(".record_page", entity=entity, record_id=record["id"])
    return redirect(f"{target}?duplicates=1" if DUPLICATES_MEMBER in record else target, 303)


def _current(compiled: Compiled, model: EntityModel, ctx: Context, record_id: int
             ) -> dict[str, Any]:
    """The record as it is now, after a form's update was refused."""
    with platform().reading() as conn:
        viewer = Viewer(compiled, ctx.principal, conn)
        viewer.of(model).require("update", ctx)
        record = get_record(conn, viewer, model, record_id)
        if record is None:
            raise not_found(model, record_id, ctx)
    return record


@pages.get("/<entity>/<int(max=9223372036854775807):record_id>/edit")
def edit_record(entity: str, record_id: int) -> Any:
    with open_entity_page(entity, "update") as page:
        record = page.record(record_id)
        model = page.model
        stored = page.op.conn.execute(row_statement(model), {"record_id": record_id}
                                      ).mappings().one()
        pending = pending_chain(page.op, model, record_id) if model.approvals else None
        locked = why_locked(page.op, model, dict(stored), pending)
    if locked is not None:  # the form could only be refused: say why before any typing
        raise Conflict(locked)
    return _render(page, record=record, values=record, errors={})


@pages.post("/<entity>/<int(max=9223372036854775807):record_id>/edit")
def update_from_form(entity: str, record_id: int) -> Any:
    with open_entity_page(entity) as page:  # update_record decides who may
        compiled, model, ctx = page.compiled, page.model, page.ctx
        body = read_form(compiled.catalog,
                         shown_fields(compiled, model, page.access, ctx, creating=False),
                         request.form, creating=False)
    version = request.form.get("version", "")
    try:
        with platform().writing() as conn:
            record = update_record(conn, compiled, model, ctx, record_id, body,
                                   int(version) if version.isdigit() else None,
                                   check_duplicates=True)
    except DuplicateFound as problem:  # a blocking rule: the form again, with the records
        record = _current(compiled, model, ctx, record_id)
        return _render(page, record=record, values=request.form,
                       errors=problem.listed(ctx.locale), status=409,
                       duplicates=problem.extra["duplicates"])
    except Conflict as problem:  # a hold limit, a lock: the form again, as it was typed
        record = _current(compiled, model, ctx, record_id)
        return _render(page, record=record, values=request.form,
                       errors=problem.listed(ctx.locale), status=409)
    except Invalid as problem:
        record = _current(compiled, model, ctx, record_id)
        return _render(page, record=record, values=request.form,
                       errors=problem.listed(ctx.locale), status=422)
    except PreconditionFailed:
        record = _current(compiled, model, ctx, record_id)
        return _render(page, record=record, values=request.form, errors={},
                       status=412, conflict=_changed_by(compiled, record))
    # Warning rules: the record page lists the likely duplicates, as after a create.
    target = url_for(".record_page", entity=entity, record_id=record_id)
    return redirect(f"{target}?duplicates=1" if record.get(DUPLICATES_MEMBER) else target, 303)


def _changed_by(compiled: Compiled, record: dict[str, Any]) -> str:
    from ..identity.users import get_user

    with platform().reading() as conn:
        who = get_user(conn, compiled.metadata, record["updated_by"]) \
            if record.get("updated_by") else None
    return gettext("%(who)s changed this record at %(when)s, after you opened it. Your "
                   "changes are below and were not saved: reload to see theirs.",
                   who=who.name if who else "?", when=datetime_text(record.get("updated_at")))


@pages.get("/<entity>/choices")
def record_choices(entity: str) -> Any:
    """Options for a reference control: records of ``entity`` the viewer may read
    whose searchable fields match ``q`` (the list API's search)."""
    ctx, _ = page_context()
    compiled = platform().compiled
    model = entity_model(compiled, entity, ctx)
    text = _typed()
    with platform().reading() as conn:
        viewer = Viewer(compiled, ctx.principal, conn)
        viewer.of(model).require("read", ctx)
        args = {"limit": [str(CHOICES_LIMIT)], **({"q": [text]} if text else {})}
        items = list_records(conn, viewer, model, parse_list_query(
            args, model, viewer, model.entity.default_sort))["items"]
    return _offers([(item["id"], record_title(compiled, entity, item)) for item in items])


@pages.get("/users/choices")
def user_choices() -> Any:
    ctx, _ = page_context()
    text = _typed()
    with platform().reading() as conn:
        found = list_profiles(conn, platform().compiled.metadata, text=text or None,
                              team=None, role=None, active=True)
    return _offers([(p.id, p.name) for p in found[:CHOICES_LIMIT]])


def _typed() -> str:
    """What the person typed (a picker sends it as ``q``)."""
    return request.args.get("q", "").strip()


def _offers(options: list[tuple[int, str]]) -> str:
    """The datalist's options: titles, each carrying its id (a title that repeats
    gets the id after it, so every offer picks one record)."""
    seen: dict[str, int] = {}
    for _, title in options:
        seen[title] = seen.get(title, 0) + 1
    return render_template("ui/choices.html", options=[
        (value, f"{title} · #{value}" if seen[title] > 1 else title)
        for value, title in options])
