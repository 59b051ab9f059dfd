"""Formulas and validation rules, evaluated on a whole record before it is saved.

An expression that needs an empty field gives an empty formula and a rule that
does not apply (the documented behaviour). Any other failure — a division by
zero, a result too large for its column, an expression over its step budget —
is a 422 naming the formula or rule: never a 500, and never a silently empty
value where the definition computes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base.context import Context
from ..base.problems import Invalid
from ..compile.models import EntityModel
from ..definitions import FieldDef
from ..expressions import EmptyValue, EvaluationError, builtin_values
from ..fieldtypes import FieldTypes
from ..fieldtypes.numbers import largest_value
from ..i18n import message
from .rows import Row


def expression_values(model: EntityModel, record: Row, ctx: Context,
                      read: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The record's fields as expressions see them, with the built-in names; ``read``
    (field: type): only those fields, for expressions known to read no others."""
    types = model.catalog.field_types
    values = {name: types.to_expression(record.get(name), kind)
              for name, kind in (model.types if read is None else read).items()}
    values.update(builtin_values(ctx.now, ctx.user_id, model.catalog.settings.tzinfo))
    return values


def apply_formulas(model: EntityModel, record: dict[str, Any], ctx: Context) -> None:
    """Compute every formula into ``record``, each after those it uses."""
    if not model.formulas:
        return
    values = expression_values(model, record, ctx, model.formula_inputs)
    types = model.catalog.field_types
    for field_def, expression in model.formulas:
        try:
            result = computed_value(field_def, expression.evaluate(values), ctx, types)
        except EmptyValue:
            result = None  # a field it needs is empty (docs: "its value is empty")
        except EvaluationError as exc:
            raise Invalid({field_def.name: [message("formula_failed", ctx.locale,
                                                    reason=exc.located())]}) from None
        record[field_def.name] = result
        values[field_def.name] = types.to_expression(result, field_def.value_type)


def computed_value(field: FieldDef, result: Any, ctx: Context, types: FieldTypes) -> Any:
    """An expression's ``result`` as ``field`` stores it: rounded as the field says, and
    refused (Invalid, naming the field and its limit) when the column cannot hold it."""
    kind = types.of(field)
    value = None if result is None else kind.to_field(result, field)
    if value is None:
        return None
    if kind.scale is not None and kind.precision is not None:
        largest = largest_value(kind.precision, kind.scale(field))
        if abs(value) > largest:
            raise Invalid({field.name: [message("too_large", ctx.locale, value=value,
                                                limit=largest)]})
    limit = kind.max_length(field) if kind.max_length is not None else None
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise Invalid({field.name: [message("max_length", ctx.locale, max=limit)]})
    return value


def broken_rules(model: EntityModel, record: Mapping[str, Any], ctx: Context,
                 hidden: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Per field (or ``_record``), the messages of the rules ``record`` breaks. A rule
    about a field in ``hidden`` says only that such a rule refuses the change: its
    own words would name the field, and whether it is empty."""
    if not model.rules:
        return {}
    values = expression_values(model, record, ctx, model.rule_inputs)
    errors: dict[str, list[str]] = {}
    for compiled in model.rules:
        rule = compiled.rule
        key = rule.field or "_record"
        try:
            if compiled.when is not None and compiled.when.evaluate(values) is not True:
                continue
            holds = compiled.check.evaluate(values)
        except EmptyValue:
            continue  # cannot be evaluated because a field is empty: does not apply
        except EvaluationError as exc:
            failed = message("rule_failed", ctx.locale, rule=rule.name, reason=exc.located())
        else:
            if holds is not False:
                continue
            failed = rule.message.get(ctx.locale)
        if hidden and hidden & compiled.names:
            errors.setdefault("_record", []).append(message("hidden_rule", ctx.locale))
            continue
        errors.setdefault(key, []).append(failed)
    return errors
