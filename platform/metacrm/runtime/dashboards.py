"""Dashboards at run time: which the caller may open and which is their start, and
each widget's answer through the same engine calls as the API — a report run as
GET /api/reports/<name>, a list as GET /api/<entity>, the inbox as
GET /api/approvals/inbox — so a widget counts only what its viewer may read and
shows no field hidden from them (docs/dashboards.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..base.context import Principal
from ..base.problems import Forbidden, NotFound
from ..definitions import Catalog, DashboardDef, WidgetDef
from ..definitions.reports import ME, RATIO
from .approval_views import inbox
from .operation import Operation
from .query import parse_list_query
from .reads import list_records
from .report_answer import named_rows
from .report_parameters import FROM, TO
from .reports import run_report, runnable

# How many columns a list widget shows when it names none (title first).
DEFAULT_LIST_COLUMNS = 4
CHANGE_PLACES = Decimal("0.0001")
# Field types whose records a list widget shows by title rather than by id.
LINKED_TYPES = ("reference", "user")


def visible_dashboards(catalog: Catalog, principal: Principal) -> list[DashboardDef]:
    """The dashboards the caller may open, by name: those for one of their roles or
    for no role in particular (an administrator may open every one)."""
    roles = set(principal.roles)
    return [d for d in sorted(catalog.dashboards.values(), key=lambda d: d.name)
            if principal.admin or principal.system or not d.roles or roles & set(d.roles)]


def default_dashboard(catalog: Catalog, principal: Principal) -> DashboardDef | None:
    """The caller's start: the first dashboard (by name) for one of their roles, else
    the first for no role in particular, else none."""
    roles = set(principal.roles)
    found = visible_dashboards(catalog, principal)
    return (next((d for d in found if roles & set(d.roles)), None)
            or next((d for d in found if not d.roles), None))


def find_dashboard(catalog: Catalog, principal: Principal, name: str) -> DashboardDef:
    """The dashboard ``name`` if the caller may open it; to others it does not exist."""
    found = catalog.dashboards.get(name)
    if found is None or found not in visible_dashboards(catalog, principal):
        raise NotFound({"_request": [f"no dashboard '{name}'"]}, names_unknown=True)
    return found


def widget_available(op: Operation, widget: WidgetDef) -> bool:
    """Whether the caller may see what ``widget`` shows (the page leaves out the rest)."""
    viewer = op.viewer
    if widget.kind in ("report", "number"):
        report = op.compiled.catalog.reports.get(widget.target)
        return report is not None and runnable(viewer, report)
    if widget.kind == "list":
        model = op.compiled.models.get(widget.target)
        return model is not None and viewer.can_read(model)
    return op.ctx.user_id is not None  # the inbox: one's own tasks


def widget_answer(op: Operation, widget: WidgetDef) -> dict[str, Any]:
    """What ``widget`` shows, as the API gives it: ``{"kind": ..., ...}`` with a report's
    answer, a number card's value (and the previous period's), a list's items or the
    caller's pending tasks. A widget the caller may not see is refused (403)."""
    if not widget_available(op, widget):
        raise Forbidden({"_request": [f"this {widget.kind} widget shows what you may not "
                                      "read"]})
    if widget.kind == "report":
        return {"kind": "report", "report": _run(op, widget, dict(_arguments(widget)))}
    if widget.kind == "number":
        return {"kind": "number", **number_card(op, widget)}
    if widget.kind == "list":
        return {"kind": "list", **list_widget(op, widget)}
    tasks = inbox(op, widget.target, widget.limit, None)
    return {"kind": "approvals", "items": tasks["items"],
            "more": tasks["next_cursor"] is not None}


def _arguments(widget: WidgetDef) -> dict[str, list[str]]:
    return {key: [value] for key, value in widget.parameters}


def _run(op: Operation, widget: WidgetDef, args: Mapping[str, Sequence[str]]
         ) -> dict[str, Any]:
    report = op.compiled.catalog.reports[widget.target]
    return run_report(op.conn, op.viewer, report, args, op.locale, op.ctx.now)


def number_card(op: Operation, widget: WidgetDef) -> dict[str, Any]:
    """One measure of a report over all it counts, and, when the report has a period,
    the same over the period before it with the change: relative for a count or a sum
    (0.2500 is +25 %), in points for a ratio (a win rate of 0.30 after 0.25: 0.0500)."""
    report = op.compiled.catalog.reports[widget.target]
    measure = report.measure(widget.measure or "") or report.measures[0]
    args = _arguments(widget)
    answer = _run(op, widget, args)
    value = _measure_value(answer, measure.name)
    period = next((p for p in answer["parameters"] if p["from"] and p["to"]), None)
    card: dict[str, Any] = {
        "report": report.name, "measure": measure.name,
        "label": measure.label.get(op.locale), "ratio": measure.aggregate == RATIO,
        "value": value, "period": _period(period), "previous": None,
        "previous_period": None, "change": None}
    if period is None:
        return card
    start, end = previous_period(date.fromisoformat(period["from"]),
                                 date.fromisoformat(period["to"]))
    earlier = {k: v for k, v in args.items() if k not in (
        period["name"], period["name"] + FROM, period["name"] + TO)}
    earlier[period["name"] + FROM] = [start.isoformat()]
    earlier[period["name"] + TO] = [end.isoformat()]
    previous = _measure_value(_run(op, widget, earlier), measure.name)
    card.update(previous=previous, previous_period={"from": start.isoformat(),
                                                    "to": end.isoformat()},
                change=change(value, previous, ratio=card["ratio"]))
    return card


def _measure_value(answer: dict[str, Any], measure: str) -> Any:
    totals = answer.get("totals")
    if totals is not None:
        return totals["all"].get(measure)
    rows = named_rows(answer)
    return rows[0]["values"].get(measure) if len(rows) == 1 else None


def _period(setting: dict[str, Any] | None) -> dict[str, str] | None:
    return {"from": setting["from"], "to": setting["to"]} if setting else None


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period just before ``start``..``end``: as many whole months when it is whole
    months (March before April, the last quarter before this), else as many days."""
    after = end + timedelta(days=1)
    if start.day == 1 and after.day == 1:
        months = (after.year * 12 + after.month) - (start.year * 12 + start.month)
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def change(value: Any, previous: Any, *, ratio: bool) -> str | None:
    """The change from ``previous`` to ``value`` as decimal text (None: no base)."""
    try:
        now = Decimal(str(value)) if value is not None else None
        before = Decimal(str(previous)) if previous is not None else None
    except InvalidOperation:
        return None
    if ratio:
        if now is None or before is None:
            return None
        return str((now - before).quantize(CHANGE_PLACES, ROUND_HALF_UP))
    now = now if now is not None else Decimal(0)
    if not before:
        return None
    return str(((now - before) / before).quantize(CHANGE_PLACES, ROUND_HALF_UP))


def list_widget(op: Operation, widget: WidgetDef) -> dict[str, Any]:
    """The first ``limit`` records of an entity's list with the widget's filters and
    sort, as GET /api/<entity> lists them for the caller; the columns the caller may
    not see are left out (``me`` in a filter is the caller)."""
    model = op.compiled.models[widget.target]
    viewer = op.viewer
    visible = viewer.types(model)
    entity = model.entity
    names = [c for c in widget.columns if c in visible or c == "id"] if widget.columns \
        else _default_columns(entity.title, entity.fields, visible)
    args: dict[str, list[str]] = {}
    for key, value in widget.filters:
        if value == ME:
            value = str(op.ctx.user_id or 0)
        args.setdefault(key, []).append(value)
    fields = [entity.fields[n] for n in names if n in entity.fields]
    expand = [f.name for f in fields if f.type in LINKED_TYPES and (
        f.type == "user" or (f.to in op.compiled.models
                             and viewer.can_read(op.compiled.models[f.to or ""])))]
    args["fields"] = [",".join(names)]
    if expand:
        args["expand"] = [",".join(expand)]
    if widget.sort:
        args["sort"] = [",".join(widget.sort)]
    args["limit"] = [str(widget.limit)]
    query = parse_list_query(args, model, viewer, entity.default_sort)
    result = list_records(op.conn, viewer, model, query)
    return {"entity": widget.target,
            "columns": [{"name": f.name, "label": f.label.get(op.locale)} for f in fields],
            "items": result["items"], "more": result["next_cursor"] is not None,
            "filters": [[key, value] for key, values in args.items()
                        if key not in ("fields", "expand", "limit", "sort")
                        for value in values],
            "sort": list(widget.sort)}


def _default_columns(title: str | None, fields: Mapping[str, Any], visible: Mapping[str, str]
                     ) -> list[str]:
    names = [n for n, f in fields.items() if n in visible and f.stored
             and f.type not in ("text", "json", "multi_reference")]
    ordered = ([title] if title in names else []) + [n for n in names if n != title]
    return ordered[:DEFAULT_LIST_COLUMNS]
