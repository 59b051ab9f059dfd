"""The report builder's form and the report document it stands for, both ways: what
the rows, columns or funnel steps are, the measures (aggregates, conditional ones and
ratios of two), the order and top N, the chart (its measures and target line), a
period and a value parameter, the time zone and totals. A document's keys the form
does not show (roles, a schedule, more parameters…) are kept as they were."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..build.reports import filter_text
from ..definitions import EntityDef
from ..definitions.reports import RATIO

# Slots the form offers: at least these, one more than the report has, at most the max.
MEASURE_SLOTS, MAX_MEASURES = 4, 8
STEP_SLOTS, MAX_STEPS = 4, 10
# Document keys the form writes; everything else of the edited report is kept.
FORM_KEYS = ("report", "entity", "label", "presentation", "rows", "columns", "measures",
             "filters", "order", "limit", "chart", "funnel", "time_zone", "week_starts",
             "totals")
# A measure's title in both languages when the builder's user gives none.
_TITLES = {"count": ("Records", "记录数"), "count_distinct": ("{} (distinct)", "{}（不同值）"),
           "sum": ("{} (sum)", "{}合计"), "avg": ("{} (average)", "{}平均值"),
           "min": ("{} (smallest)", "{}最小值"), "max": ("{} (largest)", "{}最大值"),
           RATIO: ("{} / {}", "{} / {}")}
LANGUAGES = ("en", "zh")


def slots(count: int, least: int, most: int) -> range:
    """Slots for ``count`` items: room for one more, within ``least`` and ``most``."""
    return range(min(most, max(least, count + 1)))


def _label(en: str, zh: str) -> dict[str, str] | None:
    """A bilingual label from the form's two inputs (one given: used for both)."""
    en, zh = en.strip(), zh.strip()
    if not en and not zh:
        return None
    return {"en": en or zh, "zh": zh or en}


def _label_values(prefix: str, label: Any) -> dict[str, str]:
    if isinstance(label, str):
        label = {"en": label, "zh": label}
    label = label or {}
    return {f"{prefix}_{lang}": str(label.get(lang, "")) for lang in LANGUAGES}


def _filters(text: str) -> dict[str, str]:
    return dict(parse_qsl(text.strip().lstrip("?"), keep_blank_values=True))


def _typed(filters: dict[str, str], kept: Any) -> dict[str, Any]:
    """``filters`` from the form, each value as the edited document wrote it (a list, a
    boolean) where the form shows it unchanged."""
    kept = kept if isinstance(kept, dict) else {}
    return {key: kept[key] if key in kept and filter_text(kept[key]) == value else value
            for key, value in filters.items()}


def _filters_text(filters: Any) -> str:
    return urlencode({k: filter_text(v) for k, v in (filters or {}).items()})


def _slug(text: str, fallback: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return name if name and name[0].isalpha() else fallback


def _measure_title(entity: EntityDef | None, aggregate: str, field: str,
                   parts: tuple[dict[str, str], dict[str, str]] | None = None
                   ) -> dict[str, str]:
    titles = dict(zip(LANGUAGES, _TITLES.get(aggregate, ("{}", "{}")), strict=True))
    if parts is not None:
        return {lang: titles[lang].format(parts[0][lang], parts[1][lang]) for lang in LANGUAGES}
    defined = entity.fields.get(field) if entity is not None and field else None
    return {lang: titles[lang].format(defined.label.get(lang) if defined else
                                      (field or aggregate)) for lang in LANGUAGES}


def _measures(form: Any, entity: EntityDef | None, base: dict[str, Any]
              ) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The measures of the form, and each used slot's measure name (ratios and the
    chart refer to measures by slot)."""
    measures: list[dict[str, Any]] = []
    names: dict[int, str] = {}
    for slot in range(MAX_MEASURES):
        aggregate = form.get(f"m{slot}_aggregate", "")
        if not aggregate:
            continue
        field = "" if aggregate == RATIO else form.get(f"m{slot}_field", "")
        # a new measure is named after its English title (ratios and the order name it)
        name = form.get(f"m{slot}_name", "").strip() or _slug(
            form.get(f"m{slot}_label_en", ""), "_".join(filter(None, (aggregate, field))))
        if name in names.values():
            name = f"{name}_{slot + 1}"
        names[slot] = name
        measure: dict[str, Any] = {"name": name}
        if aggregate != RATIO:
            measure["aggregate"] = aggregate
        if field:
            measure["field"] = field
        kept = next((m.get("filters") for m in base.get("measures") or ()
                     if isinstance(m, dict) and m.get("name") == name), None)
        filters = _typed(_filters(form.get(f"m{slot}_filters", "")), kept)
        if filters and aggregate != RATIO:
            measure["filters"] = filters
        measure["label"] = _label(form.get(f"m{slot}_label_en", ""),
                                  form.get(f"m{slot}_label_zh", ""))
        measures.append(measure)
    by_name = {m["name"]: m for m in measures}
    for slot, name in names.items():
        measure = by_name[name]
        if form.get(f"m{slot}_aggregate") == RATIO:
            of, over = (names.get(_int(form.get(f"m{slot}_{key}", "")), "")
                        for key in ("of", "over"))
            measure[RATIO] = [of, over]
            if measure["label"] is None and of in by_name and over in by_name:
                measure["label"] = _measure_title(entity, RATIO, "", (
                    _as_label(by_name[of]["label"]), _as_label(by_name[over]["label"])))
        if measure["label"] is None:
            measure["label"] = _measure_title(entity, measure.get("aggregate", RATIO),
                                              measure.get("field", ""))
    return measures, names


def _as_label(label: Any) -> dict[str, str]:
    return label if isinstance(label, dict) else {"en": str(label), "zh": str(label)}


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


def _steps(form: Any, base: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for slot in range(MAX_STEPS):
        label = _label(form.get(f"s{slot}_label_en", ""), form.get(f"s{slot}_label_zh", ""))
        text = form.get(f"s{slot}_filters", "").strip()
        if label is None and not text:
            continue
        name = form.get(f"s{slot}_name", "").strip() or _slug(
            (label or {}).get("en", ""), f"step_{slot + 1}")
        if any(s["name"] == name for s in steps):
            name = f"{name}_{slot + 1}"
        kept = next((step.get("filters") for step in base.get("funnel") or ()
                     if isinstance(step, dict) and step.get("name") == name), None)
        steps.append({"name": name, "filters": _typed(_filters(text), kept),
                      **({"label": label} if label else {})})
    return steps


def document_from_form(form: Any, base: dict[str, Any],
                       entity: EntityDef | None = None) -> dict[str, Any]:
    """The report document the form describes, over ``base`` (the report edited)."""
    document = {k: v for k, v in base.items() if k not in FORM_KEYS and k != "parameters"}
    document.update({"report": form.get("name", "").strip(), "entity": form.get("entity", ""),
                     "presentation": form.get("presentation") or "table"})
    label = _label(form.get("label_en", ""), form.get("label_zh", ""))
    if label:
        document["label"] = label
    steps = _steps(form, base)
    if steps:
        document["funnel"] = steps
    for axis in ("rows", "columns"):
        field = form.get(f"{axis}_field", "")
        if field:
            bucket = form.get(f"{axis}_bucket", "")
            spec = {"field": field, **({"bucket": bucket} if bucket else {})}
            kept = base.get(axis)
            if isinstance(kept, dict) and kept.get("field") == field and kept.get("label"):
                spec["label"] = kept["label"]  # the form shows no dimension title
            document[axis] = spec
    measures, names = _measures(form, entity, base)
    document["measures"] = measures
    filters = _typed(_filters(form.get("filters", "")), base.get("filters"))
    if filters:
        document["filters"] = filters
    _order(form, base, names, document)
    _chart(form, names, document)
    _parameters(form, base, document)
    zone = form.get("time_zone", "").strip()
    if zone and zone != "UTC":
        document["time_zone"] = zone
    week = form.get("week_starts", "")
    if week and week != "monday":
        document["week_starts"] = week
    if form.get("totals_shown") == "1":  # the checkbox was on the form: unticked is off
        if form.get("totals") != "1":
            document["totals"] = False
        elif "totals" in base:  # written out as the edited report had it
            document["totals"] = True
    elif base.get("totals") is not None:
        document["totals"] = base["totals"]
    return document


def _order(form: Any, base: dict[str, Any], names: dict[int, str],
           document: dict[str, Any]) -> None:
    """The first sort key is the form's (a measure or the rows); later ones are kept."""
    chosen = form.get("order_by", "")
    key = (names.get(_int(chosen[1:]), "") if chosen.startswith("m") else
           (document.get("rows") or {}).get("field", "") if chosen == "rows" else "")
    rest = [o for o in list(base.get("order") or [])[1:] if o.lstrip("-") != key]
    order = ([("-" if form.get("order_desc") == "1" else "") + key] if key else []) + rest
    if order:
        document["order"] = order
    limit = form.get("limit", "").strip()
    if limit:
        document["limit"] = int(limit) if limit.isdigit() else limit


def _chart(form: Any, names: dict[int, str], document: dict[str, Any]) -> None:
    chart: dict[str, Any] = {}
    drawn = [name for slot, name in names.items() if form.get(f"m{slot}_chart") == "1"]
    if drawn:
        chart["measures"] = drawn
    value = form.get("target_value", "").strip()
    if value:
        target: dict[str, Any] = {"value": _number(value)}
        measure = names.get(_int(form.get("target_measure", "")))
        if measure:
            target["measure"] = measure
        label = _label(form.get("target_label_en", ""), form.get("target_label_zh", ""))
        if label:
            target["label"] = label
        chart["target"] = target
    if chart:
        document["chart"] = chart


def _number(text: str) -> Any:
    """A target as a number for the document (the check refuses what is none)."""
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text


def _parameters(form: Any, base: dict[str, Any], document: dict[str, Any]) -> None:
    """A period of a date field and a value of another field (``me`` for a user); the
    edited report's other parameters are kept."""
    parameters = dict(base.get("parameters") or {})
    for kind in ("period", "value"):
        old = form.get(f"{kind}_name", "")
        before = parameters.pop(old or kind, None) or {}
        field = form.get(f"{kind}_field", "")
        if not field:
            continue
        name = old or ("period" if kind == "period" else _slug(field.split(".")[-1], "value"))
        default = form.get(f"{kind}_default", "").strip()
        spec: dict[str, Any] = {"field": field}
        if default or kind == "period":
            spec["default"] = default or "this_year"
        label = _label(form.get(f"{kind}_label_en", ""), form.get(f"{kind}_label_zh", "")) or (
            before.get("label") if before.get("field") == field else None)
        if label:  # the page shows no parameter title: the edited report's is kept
            spec["label"] = label
        parameters[name] = spec
    if parameters:
        document["parameters"] = parameters


def form_from_document(document: dict[str, Any], period_fields: set[str]
                       ) -> dict[str, str]:
    """The form's values for ``document`` (what the page shows when editing);
    ``period_fields``: the entity's date fields (a parameter over one is a period)."""
    values: dict[str, str] = {"name": document.get("report", ""),
                              "entity": document.get("entity", ""),
                              "presentation": document.get("presentation", "table"),
                              "totals": "1" if document.get("totals", True) else "",
                              "time_zone": document.get("time_zone", "UTC"),
                              "week_starts": document.get("week_starts", "monday")}
    values.update(_label_values("label", document.get("label")))
    for axis in ("rows", "columns"):
        spec = document.get(axis)
        if isinstance(spec, str):
            spec = {"field": spec}
        if spec:
            values[f"{axis}_field"] = spec.get("field", "")
            values[f"{axis}_bucket"] = spec.get("bucket", "") or ""
    measures = list(document.get("measures") or [])[:MAX_MEASURES]
    slot_of = {m.get("name"): str(i) for i, m in enumerate(measures)}
    chart = document.get("chart") or {}
    for slot, measure in enumerate(measures):
        values[f"m{slot}_name"] = measure.get("name", "")
        ratio = measure.get(RATIO)
        values[f"m{slot}_aggregate"] = RATIO if ratio else measure.get("aggregate", "count")
        values[f"m{slot}_field"] = measure.get("field", "") or ""
        if ratio:
            values[f"m{slot}_of"], values[f"m{slot}_over"] = (slot_of.get(n, "")
                                                              for n in ratio[:2])
        values[f"m{slot}_filters"] = _filters_text(measure.get("filters"))
        values.update(_label_values(f"m{slot}_label", measure.get("label")))
        if measure.get("name") in (chart.get("measures") or ()):
            values[f"m{slot}_chart"] = "1"
    for slot, step in enumerate(list(document.get("funnel") or [])[:MAX_STEPS]):
        values[f"s{slot}_name"] = step.get("name", "")
        values[f"s{slot}_filters"] = _filters_text(step.get("filters"))
        values.update(_label_values(f"s{slot}_label", step.get("label")))
    values["filters"] = _filters_text(document.get("filters"))
    order = list(document.get("order") or [])
    if order:
        first = order[0].lstrip("-")
        values["order_by"] = (f"m{slot_of[first]}" if first in slot_of else "rows")
        values["order_desc"] = "1" if order[0].startswith("-") else ""
    if document.get("limit") is not None:
        values["limit"] = str(document["limit"])
    target = chart.get("target")
    if isinstance(target, (int, float)):
        target = {"value": target}
    if target:
        values["target_value"] = str(target.get("value", ""))
        values["target_measure"] = slot_of.get(target.get("measure"), "")
        values.update(_label_values("target_label", target.get("label")))
    for name, spec in (document.get("parameters") or {}).items():
        kind = "period" if spec.get("field") in period_fields else "value"
        if f"{kind}_field" in values:
            continue  # the form shows one of each; the others are kept
        values[f"{kind}_name"] = name
        values[f"{kind}_field"] = spec.get("field", "")
        values[f"{kind}_default"] = str(spec.get("default", "") or "")
        values.update(_label_values(f"{kind}_label", spec.get("label")))
    return values


def incomplete_ratios(form: Any) -> list[int]:
    """The slots of ratios that miss the measure divided or the one it is divided by
    (said on the page in words, rather than as the schema's empty name)."""
    return [slot for slot in range(MAX_MEASURES) if form.get(f"m{slot}_aggregate") == RATIO
            and not all(_int(form.get(f"m{slot}_{key}", "")) >= 0 for key in ("of", "over"))]


def measure_slots(values: dict[str, str]) -> range:
    used = sum(1 for slot in range(MAX_MEASURES) if values.get(f"m{slot}_aggregate"))
    return slots(used, MEASURE_SLOTS, MAX_MEASURES)


def step_slots(values: dict[str, str]) -> range:
    used = sum(1 for slot in range(MAX_STEPS)
               if values.get(f"s{slot}_label_en") or values.get(f"s{slot}_filters"))
    return slots(used, STEP_SLOTS, MAX_STEPS)
