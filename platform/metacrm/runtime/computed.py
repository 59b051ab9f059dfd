"""Formulas and validation rules, evaluated on a whole record before it is saved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..compile.models import EntityModel
from ..expressions import ExpressionError, builtin_values, cel_value
from ..fieldtypes import DEFAULT_DECIMAL_SCALE
from ..i18n import message
from .context import Context

_SCALES = {"money": 2, "percent": 2}


def expression_values(model: EntityModel, record: Mapping[str, Any], ctx: Context
                      ) -> dict[str, Any]:
    values = {name: cel_value(record.get(name), kind) for name, kind in model.types.items()}
    values.update(builtin_values(ctx.now, ctx.user_id))
    return values


def apply_formulas(model: EntityModel, record: dict[str, Any], ctx: Context) -> None:
    """Compute every formula into ``record``, each after those it uses."""
    if not model.formulas:
        return
    values = expression_values(model, record, ctx)
    for field_def, expression in model.formulas:
        try:
            result = stored_value(field_def.value_type, expression.evaluate(values), field_def.scale)
        except (ExpressionError, ValueError, ArithmeticError, OverflowError):
            result = None  # a field it needs is empty (docs: "its value is empty")
        record[field_def.name] = result
        values[field_def.name] = cel_value(result, field_def.value_type)


def broken_rules(model: EntityModel, record: Mapping[str, Any], ctx: Context,
                 hidden: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Per field (or ``_record``), the messages of the rules ``record`` breaks. A rule
    about a field in ``hidden`` says only that such a rule refuses the change: its
    own words would name the field, and whether it is empty."""
    if not model.rules:
        return {}
    values = expression_values(model, record, ctx)
    errors: dict[str, list[str]] = {}
    for compiled in model.rules:
        try:
            if compiled.when is not None and compiled.when.evaluate(values) is not True:
                continue
            holds = compiled.check.evaluate(values)
        except ExpressionError:
            continue  # cannot be evaluated because a field is empty: does not apply
        if holds is False:
            if hidden and hidden & compiled.names:
                errors.setdefault("_record", []).append(message("hidden_rule", ctx.locale))
                continue
            key = compiled.rule.field or "_record"
            errors.setdefault(key, []).append(compiled.rule.message.get(ctx.locale))
    return errors


def stored_value(kind: str, value: Any, scale: int | None = None) -> Any:
    """An expression's result as a field of ``kind`` holds it (ValueError if it cannot)."""
    if value is None:
        return None
    if kind in ("decimal", "money", "percent"):
        digits = _SCALES.get(kind, scale if scale is not None else DEFAULT_DECIMAL_SCALE)
        return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits))
    if kind in ("integer", "reference", "user"):  # CEL numbers are doubles
        return round(float(value))
    if kind == "boolean":
        return bool(value)
    if kind == "multi_reference":
        return [round(float(item)) for item in value]
    if kind in ("multi_choice", "json"):
        return value
    if kind in ("date", "datetime"):
        if not isinstance(value, datetime):
            raise ValueError("not a timestamp")
        value = value.astimezone(UTC)
        return value.date() if kind == "date" else value
    return str(value)
