"""The server's side of a layout's conditions: ``required_if`` and ``readonly_if``
are checked on every create and update through the API and the pages, so a rule
the browser shows is never one only the browser enforces.

The layout is the caller's (``Compiled.form_for``: the one their pages show).
A field is required when its ``required_if`` holds on the record as it would be
saved and the field is shown (its own and its section's ``visible_if`` hold):
a field the form hides cannot be asked for, nor one the caller's role may not
write (they could never meet it). A field is read-only when its
``readonly_if`` holds on the record as stored; changing it then is refused.
A condition that needs an empty field does not hold (as with rules). Fields
the caller may not see are left alone: their words would reveal them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base.context import Context
from ..compile.forms import CompiledForm
from ..compile.models import EntityModel
from ..expressions import EmptyValue, EvaluationError, Expression
from ..i18n import message
from .computed import expression_values
from .condition_words import condition_in_words
from .rows import Row


def _holds(expression: Expression | None, values: Mapping[str, Any],
           errors: dict[str, list[str]], name: str, ctx: Context) -> bool:
    if expression is None:
        return True
    try:
        return expression.evaluate(values) is True
    except EmptyValue:
        return False
    except EvaluationError as exc:
        errors.setdefault(name, []).append(message(
            "form_condition_failed", ctx.locale, condition=expression.source,
            reason=exc.located()))
        return False


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def condition_errors(form: CompiledForm | None, model: EntityModel, ctx: Context,
                     record: Mapping[str, Any], hidden: frozenset[str],
                     current: Row | None = None,
                     changed: frozenset[str] = frozenset(),
                     readonly: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Per field, why ``record`` (to be saved) breaks the layout's conditions;
    ``current`` is the stored record of an update, ``changed`` the fields it changes,
    ``hidden`` and ``readonly`` what the caller's roles hide and keep from them."""
    if form is None or ctx.principal.system:
        return {}
    errors: dict[str, list[str]] = {}
    values = expression_values(model, record, ctx)
    before = expression_values(model, current, ctx) if current is not None else None
    for _, item in form.form.fields():
        name = item.name
        if name in hidden:
            continue
        required = form.condition(name, "required_if")
        definition = model.entity.fields.get(name)
        writable = definition is not None and definition.writable and name not in readonly
        if required is not None and writable and _empty(record.get(name)) and _holds(
                required, values, errors, name, ctx) and _holds(
                form.condition(name, "visible_if"), values, errors, name, ctx) and _holds(
                form.condition(name, "section_visible_if"), values, errors, name, ctx):
            errors.setdefault(name, []).append(
                message("required_if", ctx.locale,
                        condition=condition_in_words(required.source, model, ctx.locale)))
        frozen = form.condition(name, "readonly_if")
        if frozen is not None and before is not None and name in changed and _holds(
                frozen, before, errors, name, ctx):
            errors.setdefault(name, []).append(
                message("readonly_if", ctx.locale,
                        condition=condition_in_words(frozen.source, model, ctx.locale)))
    return errors


def hidden_by_conditions(form: CompiledForm | None, model: EntityModel, ctx: Context,
                         stored: Mapping[str, Any], hidden: frozenset[str]
                         ) -> frozenset[str]:
    """The fields a record's page leaves out because their own or their section's
    ``visible_if`` does not hold on the record as stored, seen as the caller's form
    sees it (a field their roles hide counts as empty there too)."""
    if form is None:
        return frozenset()
    values = expression_values(model, {k: v for k, v in stored.items() if k not in hidden},
                               ctx)
    errors: dict[str, list[str]] = {}
    return frozenset(
        item.name for _, item in form.form.fields()
        if not (_holds(form.condition(item.name, "visible_if"), values, errors, item.name, ctx)
                and _holds(form.condition(item.name, "section_visible_if"), values, errors,
                           item.name, ctx)))
