"""The report builder's page: pick an entity, what the rows (and columns) are, with a
time bucket for dates, up to three measures, filters in the list API's grammar, a
period parameter and a chart; preview it in one's own scope; save it as a ``report``
customization (runtime/report_designs.py, the same calls as /api/meta/reports).
Editing a saved or shipped report keeps the keys the form does not show (order, time
zone, roles…)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from ..base.problems import Forbidden, Invalid, Problem
from ..compile.compiled import Compiled
from ..definitions import EntityDef
from ..definitions.reports import (
    AGGREGATES,
    BUCKETS,
    CHARTS,
    DATE_TYPES,
    PERIODS,
    PRESENTATIONS,
    RATIO,
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
from .report_pages import PERIOD_WORDS, figure
from .shell import build_shell, page_context

MEASURE_SLOTS = 3
AGGREGATE_WORDS = {
    "count": lazy_gettext("Count"), "count_distinct": lazy_gettext("Count distinct"),
    "sum": lazy_gettext("Sum"), "avg": lazy_gettext("Average"),
    "min": lazy_gettext("Smallest"), "max": lazy_gettext("Largest"),
}
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
# A measure's title in both languages when the builder's user gives none.
_TITLES = {"count": ("Records", "记录数"), "count_distinct": ("{} (distinct)", "{}（不同值）"),
           "sum": ("{} (sum)", "{}合计"), "avg": ("{} (average)", "{}平均值"),
           "min": ("{} (smallest)", "{}最小值"), "max": ("{} (largest)", "{}最大值")}
# What a dimension may be: a field whose values group records.
_DIMENSION_TYPES = ("choice", "user", "reference", "boolean", "string", "integer",
                    *DATE_TYPES)
_NUMBER_TYPES = ("integer", "decimal", "money", "percent")


assert set(AGGREGATE_WORDS) == set(AGGREGATES) and set(BUCKET_WORDS) == set(BUCKETS)
assert set(PRESENTATION_WORDS) == set(PRESENTATIONS)


def _fields(entity: EntityDef, language: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, label) of the entity's fields of ``kinds`` (formulas and rollups by result)."""
    return [(field.name, field.label.get(language)) for field in entity.fields.values()
            if field.value_type in kinds]


def _measure_title(entity: EntityDef | None, aggregate: str, field: str) -> dict[str, str]:
    en, zh = _TITLES.get(aggregate, ("{}", "{}"))
    defined = entity.fields.get(field) if entity is not None and field else None
    if defined is None:
        return {"en": en.format(field or aggregate), "zh": zh.format(field or aggregate)}
    return {"en": en.format(defined.label.get("en")), "zh": zh.format(defined.label.get("zh"))}


def _document_from_form(form: Any, base: dict[str, Any],
                        entity: EntityDef | None = None) -> dict[str, Any]:
    """The report document the form describes, over ``base`` (the report edited)."""
    document = {k: v for k, v in base.items()
                if k not in ("rows", "columns", "measures", "filters", "parameters")}
    document.update({"report": form.get("name", "").strip(), "entity": form.get("entity", ""),
                     "presentation": form.get("presentation") or "table"})
    label = {lang: form.get(f"label_{lang}", "").strip() for lang in ("en", "zh")}
    if any(label.values()):
        document["label"] = {k: v for k, v in label.items() if v}
    for axis in ("rows", "columns"):
        field = form.get(f"{axis}_field", "")
        if field:
            bucket = form.get(f"{axis}_bucket", "")
            document[axis] = {"field": field, **({"bucket": bucket} if bucket else {})}
    measures: list[dict[str, Any]] = []
    for slot in range(MEASURE_SLOTS):
        aggregate = form.get(f"m{slot}_aggregate", "")
        if not aggregate:
            continue
        field = form.get(f"m{slot}_field", "")
        name = form.get(f"m{slot}_name", "").strip() or "_".join(filter(None, (aggregate,
                                                                              field)))
        if any(m["name"] == name for m in measures):
            name = f"{name}_{slot + 1}"
        measure: dict[str, Any] = {"name": name, "aggregate": aggregate}
        if field:
            measure["field"] = field
        text = form.get(f"m{slot}_label", "").strip()
        measure["label"] = ({"en": text, "zh": text} if text
                            else _measure_title(entity, aggregate, field))
        measures.append(measure)
    document["measures"] = measures
    filters = dict(parse_qsl(form.get("filters", ""), keep_blank_values=True))
    if filters:
        document["filters"] = filters
    period = form.get("period_field", "")
    parameters = dict(base.get("parameters") or {})
    parameters.pop("period", None)
    if period:
        parameters["period"] = {"field": period,
                                "default": form.get("period_default") or "this_year"}
    if parameters:
        document["parameters"] = parameters
    return document


def _form_from_document(document: dict[str, Any]) -> dict[str, str]:
    """The form's values for ``document`` (what the page shows when editing)."""
    values: dict[str, str] = {"name": document.get("report", ""),
                              "entity": document.get("entity", ""),
                              "presentation": document.get("presentation", "table")}
    label = document.get("label") or {}
    if isinstance(label, str):
        label = {"en": label}
    values.update({f"label_{k}": label.get(k, "") for k in ("en", "zh")})
    for axis in ("rows", "columns"):
        spec = document.get(axis)
        if isinstance(spec, str):
            spec = {"field": spec}
        if spec:
            values[f"{axis}_field"] = spec.get("field", "")
            values[f"{axis}_bucket"] = spec.get("bucket", "") or ""
    for slot, measure in enumerate((document.get("measures") or [])[:MEASURE_SLOTS]):
        values[f"m{slot}_name"] = measure.get("name", "")
        values[f"m{slot}_aggregate"] = measure.get("aggregate", "") or ""
        values[f"m{slot}_field"] = measure.get("field", "") or ""
        text = measure.get("label") or {}
        values[f"m{slot}_label"] = text if isinstance(text, str) else (
            text.get("en") or text.get("zh") or "")
    filters = document.get("filters") or {}
    values["filters"] = urlencode({k: ",".join(map(str, v)) if isinstance(v, list) else v
                                   for k, v in filters.items()})
    period = (document.get("parameters") or {}).get("period") or {}
    values["period_field"] = period.get("field", "")
    values["period_default"] = str(period.get("default", "") or "")
    return values


def _options(compiled: Compiled, entity_name: str, language: str) -> dict[str, Any]:
    entity = compiled.catalog.entities[entity_name]
    return {"dimensions": _fields(entity, language, _DIMENSION_TYPES),
            "numbers": _fields(entity, language, _NUMBER_TYPES),
            "dates": _fields(entity, language, DATE_TYPES)}


def _render(compiled: Compiled, shell: Any, values: dict[str, str], entities: list[str],
            editing: str | None, errors: list[str], answer: Any = None,
            status: int = 200) -> Any:
    language = shell.language
    ratios = {c["name"] for c in answer["columns"] if c["aggregate"] == RATIO} if answer \
        else set()
    entity = values.get("entity") or entities[0]
    values = {**values, "entity": entity}
    page = render_template(
        "ui/report_builder.html", shell=shell, language=language, values=values,
        editing=editing, errors=errors, answer=answer,
        entities=[(e, compiled.catalog.entities[e].label.get(language)) for e in entities],
        options=_options(compiled, entity, language), buckets=BUCKET_WORDS,
        aggregates=AGGREGATE_WORDS, presentations=PRESENTATION_WORDS, periods=PERIOD_WORDS,
        period_codes=PERIODS, slots=range(MEASURE_SLOTS),
        show=lambda value, ratio=False: figure(value, ratio),
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
            values = _form_from_document(base) if base else dict(request.args)
            return _render(compiled, shell, values, entities, editing, [])
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if editing is not None:
            values["name"] = editing
        document = _document_from_form(request.form | {"name": values.get("name", "")}, base,
                                        compiled.catalog.entities.get(values.get("entity", "")))
        if values.get("entity") not in entities:
            return _render(compiled, shell, values, entities, editing,
                           [gettext("Choose an entity you may build reports of.")], None, 422)
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
