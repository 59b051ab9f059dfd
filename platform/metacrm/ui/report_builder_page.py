"""The report builder's page: pick an entity, what the rows (and columns) or the funnel
steps are, with a time bucket for dates, measures (conditional ones and ratios of two),
the order and top N, filters in the list API's grammar, a period and a value parameter,
and the chart with its measures and target line; preview it in one's own scope; save it
as a ``report`` customization (runtime/report_designs.py, the same calls as
/api/meta/reports). The form and the document it stands for: report_builder_form.py."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from ..base.problems import Forbidden, Invalid, Problem
from ..compile.compiled import Compiled
from ..definitions import EntityDef
from ..definitions.reports import (
    AGGREGATES,
    BUCKETS,
    CHARTS,
    CONVERSION,
    DATE_TYPES,
    FROM_FIRST,
    ME,
    PERIODS,
    PRESENTATIONS,
    RATIO,
    WEEKDAYS,
)
from ..i18n import message
from ..runtime.access import Viewer
from ..runtime.report_designs import (
    buildable_entities,
    current_report_document,
    preview_report,
    save_report,
)
from ..web.requests import platform
from .blueprint import pages
from .report_builder_form import (
    document_from_form,
    form_from_document,
    incomplete_ratios,
    measure_slots,
    step_slots,
)
from .report_pages import PERIOD_WORDS, figure
from .report_subscription_view import WEEKDAY_WORDS
from .shell import build_shell, page_context

AGGREGATE_WORDS = {
    "count": lazy_gettext("Count"), "count_distinct": lazy_gettext("Count distinct"),
    "sum": lazy_gettext("Sum"), "avg": lazy_gettext("Average"),
    "min": lazy_gettext("Smallest"), "max": lazy_gettext("Largest"),
}
RATIO_WORD = lazy_gettext("Ratio of two measures")
BUCKET_WORDS = {"day": lazy_gettext("by day"), "week": lazy_gettext("by week"),
                "month": lazy_gettext("by month"), "quarter": lazy_gettext("by quarter"),
                "year": lazy_gettext("by year")}
PRESENTATION_WORDS = {
    "table": lazy_gettext("Table"), "pivot": lazy_gettext("Pivot table"),
    "bar": lazy_gettext("Bar chart"), "stacked_bar": lazy_gettext("Stacked bars"),
    "line": lazy_gettext("Line chart"), "area": lazy_gettext("Area chart"),
    "pie": lazy_gettext("Pie chart"), "funnel": lazy_gettext("Funnel"),
    "number": lazy_gettext("Number card"),
}
# What a dimension may be: a field whose values group records.
_DIMENSION_TYPES = ("choice", "user", "reference", "boolean", "string", "integer",
                    *DATE_TYPES)
_NUMBER_TYPES = ("integer", "decimal", "money", "percent")
# Time zones offered by name (any IANA name may be typed).
ZONES = ("UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo",
         "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")


assert set(AGGREGATE_WORDS) == set(AGGREGATES) and set(BUCKET_WORDS) == set(BUCKETS)
assert set(PRESENTATION_WORDS) == set(PRESENTATIONS) and set(WEEKDAY_WORDS) == set(WEEKDAYS)


def _fields(entity: EntityDef, language: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, label) of the entity's fields of ``kinds`` (formulas and rollups by result)."""
    return [(field.name, field.label.get(language)) for field in entity.fields.values()
            if field.value_type in kinds]


def _options(compiled: Compiled, entity_name: str, language: str) -> dict[str, Any]:
    entity = compiled.catalog.entities[entity_name]
    return {"dimensions": _fields(entity, language, _DIMENSION_TYPES),
            "numbers": _fields(entity, language, _NUMBER_TYPES),
            "dates": _fields(entity, language, DATE_TYPES)}


def _render(compiled: Compiled, shell: Any, values: dict[str, str], entities: list[str],
            editing: str | None, errors: list[str], answer: Any = None,
            status: int = 200) -> Any:
    language = shell.language
    ratios = {c["name"] for c in answer["columns"] if c["aggregate"] == RATIO} | {
        CONVERSION, FROM_FIRST} if answer else set()
    entity = values.get("entity") or entities[0]
    values = {**values, "entity": entity}
    page = render_template(
        "ui/report_builder.html", shell=shell, language=language, values=values,
        editing=editing, errors=errors, answer=answer,
        entities=[(e, compiled.catalog.entities[e].label.get(language)) for e in entities],
        options=_options(compiled, entity, language), buckets=BUCKET_WORDS,
        aggregates={**AGGREGATE_WORDS, RATIO: RATIO_WORD}, presentations=PRESENTATION_WORDS,
        periods=PERIOD_WORDS, period_codes=PERIODS, weekdays=WEEKDAY_WORDS, zones=ZONES,
        me=ME, slots=measure_slots(values), steps=step_slots(values),
        show=lambda value, measure: figure(value, measure in ratios),
        chart_show=lambda value, measure: figure(value, measure in ratios), charted_kinds=CHARTS)
    return page, status


def _problem_words(problem: Problem) -> list[str]:
    return [f"{key}: {text}" if key != "_request" else text
            for key, texts in problem.errors.items() for text in texts]


def _builder(editing: str | None) -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        entities = buildable_entities(compiled, ctx)
        if not entities:
            raise Forbidden(gettext("Building reports needs the design operation on an "
                                    "entity."))
        base: dict[str, Any] = {}
        if editing is not None:
            base = current_report_document(platform(), conn, editing) or {}
            if not base:
                raise Forbidden(message("design_only", ctx.locale, entity=editing))
            if base.get("entity") not in entities:
                raise Forbidden(message("design_only", ctx.locale, entity=base.get("entity")))
        if request.method == "GET":
            dates = {name for name, _ in _options(compiled, base["entity"], "en")["dates"]} \
                if base else set()
            values = form_from_document(base, dates) if base else {
                "totals": "1", "m0_aggregate": "count", **request.args}
            return _render(compiled, shell, values, entities, editing, [])
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if editing is not None:
            values["name"] = editing
        document = document_from_form(request.form | {"name": values.get("name", "")}, base,
                                        compiled.catalog.entities.get(values.get("entity", "")))
        if values.get("entity") not in entities:
            return _render(compiled, shell, values, entities, editing,
                           [gettext("Choose an entity you may build reports of.")], None, 422)
        halves = [gettext("Measure %(n)s: a ratio needs the measure divided and the one "
                          "it is divided by.", n=slot + 1)
                  for slot in incomplete_ratios(request.form)]
        if halves:
            return _render(compiled, shell, values, entities, editing, halves, None, 422)
        if request.form.get("action") == "save":
            try:
                save_report(platform(), ctx, document)
            except Problem as problem:
                return _render(compiled, shell, values, entities, editing,
                               _problem_words(problem), None, 422)
            return redirect(url_for("metacrm_pages.report_page", name=document["report"]))
        if not document["report"]:  # a preview needs no name yet
            document["report"] = "draft"
        viewer = Viewer(compiled, ctx.principal, conn)
        try:
            answer = preview_report(platform(), conn, viewer, ctx, document, {}, ctx.now)
        except (Invalid, Problem) as problem:
            return _render(compiled, shell, values, entities, editing,
                           _problem_words(problem), None, 422)
        return _render(compiled, shell, values, entities, editing, [], answer)


@pages.route("/reports/build", methods=["GET", "POST"])
def report_builder() -> Any:
    """A new report."""
    return _builder(None)


@pages.route("/reports/<name>/build", methods=["GET", "POST"])
def report_builder_edit(name: str) -> Any:
    """A new version of report ``name`` (a shipped one or one saved before)."""
    return _builder(name)
