"""Pins: a report (with its parameters) or a list (with its filters and sort) that a
person put on their own dashboard. A pin is private to its owner, checked as the
report run or list it stands for when it is made, and shown as a widget run as its
owner whenever the dashboard opens (runtime/dashboards.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

import sqlalchemy as sa

from ..base.problems import BadQuery, Conflict, Forbidden, Invalid, NotFound
from ..definitions import Label, WidgetDef
from ..definitions.dashboards import DEFAULT_LIST_LIMIT, MAX_COLUMNS
from ..i18n import message
from .operation import Operation
from .query import parse_list_query
from .report_parameters import read_parameters
from .reports import runnable

PIN_KINDS = ("report", "list")
MAX_QUERY = 2000
MAX_TITLE = 100
MAX_PINS = 24
# Parameters of a list's query that belong to one page of it, not to what it shows.
PAGE_ONLY = ("cursor", "limit", "lang", "fields", "expand", "count")


def pin_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "target": row.target, "query": row.query,
            "title": row.title, "span": row.span, "created_at": row.created_at}


def list_pins(op: Operation) -> list[dict[str, Any]]:
    """The caller's pins, in the order they were made."""
    table = op.tables.dashboard_pins
    rows = op.conn.execute(sa.select(table).where(table.c.user_id == op.ctx.user_id)
                           .order_by(table.c.id)).all()
    return [pin_json(row) for row in rows]


def find_pin(op: Operation, pin_id: int) -> dict[str, Any]:
    table = op.tables.dashboard_pins
    row = op.conn.execute(sa.select(table).where(
        table.c.id == pin_id, table.c.user_id == op.ctx.user_id)).first()
    if row is None:
        raise NotFound(message("no_pin", op.locale, id=pin_id), key="id")
    return pin_json(row)


def pin_widget(pin: dict[str, Any]) -> WidgetDef:
    """The widget a pin stands for: its report with the parameters, or its list with
    the filters and sort, of its query."""
    pairs = [(k, v) for k, values in parse_qs(pin["query"], keep_blank_values=True).items()
             for v in values]
    title = Label.of(pin["title"]) if pin["title"] else Label(())
    if pin["kind"] == "report":
        return WidgetDef("report", pin["target"], title, pin["span"], parameters=tuple(pairs))
    sort = tuple(s for k, v in pairs if k == "sort" for s in v.split(",") if s)
    return WidgetDef("list", pin["target"], title, pin["span"],
                     filters=tuple((k, v) for k, v in pairs if k != "sort"), sort=sort,
                     limit=DEFAULT_LIST_LIMIT)


def add_pin(op: Operation, body: dict[str, Any]) -> dict[str, Any]:
    """``{"kind": "report", "target": "won_opportunities", "query": "period=this_month",
    "title": "...", "span": 2}``: checked as the caller's run of it."""
    lang = op.locale
    errors: dict[str, list[str]] = {}
    kind, target = body.get("kind"), body.get("target")
    query, title, span = body.get("query", ""), body.get("title"), body.get("span", 2)
    if kind not in PIN_KINDS:
        errors["kind"] = [message("pin_kind", lang)]
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        errors["query"] = [message("pin_query", lang, max=MAX_QUERY)]
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE):
        errors["title"] = [message("pin_title", lang, max=MAX_TITLE)]
    if isinstance(span, str) and span.isdigit():
        span = int(span)  # a form's field
    if isinstance(span, float) and span.is_integer():
        span = int(span)  # JSON's 2.0 is the whole number 2
    if not isinstance(span, int) or isinstance(span, bool) or not 1 <= span <= MAX_COLUMNS:
        errors["span"] = [message("pin_span", lang, max=MAX_COLUMNS)]
    if not errors:
        args = {k: v for k, v in parse_qs(str(query).lstrip("?"),
                                          keep_blank_values=True).items()
                if k not in PAGE_ONLY and any(v)}
        problem = _target_problem(op, str(kind), target, args)
        if problem:
            errors.update(problem)
        query = urlencode([(k, v) for k, values in args.items() for v in values])
    if errors:
        raise Invalid(errors)
    table = op.tables.dashboard_pins
    mine = op.conn.execute(sa.select(table.c.kind, table.c.target, table.c.query).where(
        table.c.user_id == op.ctx.user_id)).all()
    if (kind, target, query) in {tuple(row) for row in mine}:
        raise Conflict(message("pin_taken", lang), key="target")
    if len(mine) >= MAX_PINS:
        raise Conflict(message("pin_full", lang, max=MAX_PINS), key="target")
    inserted = op.conn.execute(table.insert().values(
        user_id=op.ctx.user_id, kind=kind, target=target, query=query,
        title=title or None, span=span, created_at=op.ctx.now)).inserted_primary_key
    assert inserted is not None
    return find_pin(op, int(inserted[0]))


def _target_problem(op: Operation, kind: str, target: Any, args: dict[str, list[str]]
                    ) -> dict[str, list[str]] | None:
    """What stops the caller from running the pinned report or list, if anything."""
    lang = op.locale
    compiled = op.compiled
    name = target if isinstance(target, str) else ""
    try:
        if kind == "report":
            report = compiled.catalog.reports.get(name)
            if report is None or not runnable(op.viewer, report):
                return {"target": [message("pin_unknown_report", lang, name=name)]}
            read_parameters(compiled.catalog, report, args, op.ctx.user_id, op.ctx.now)
        else:
            model = compiled.models.get(name)
            if model is None or not op.viewer.can_read(model):
                return {"target": [message("pin_unknown_entity", lang, name=name)]}
            parse_list_query(args, model, op.viewer)
    except (BadQuery, Forbidden) as problem:
        return {"query": [message("pin_query_refused", lang, parameter=key, text=text)
                          for key, texts in problem.errors.items() for text in texts]}
    return None


def remove_pin(op: Operation, pin_id: int) -> None:
    """Its owner unpins it; to others it does not exist."""
    find_pin(op, pin_id)
    table = op.tables.dashboard_pins
    op.conn.execute(table.delete().where(table.c.id == pin_id))
