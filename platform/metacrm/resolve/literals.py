"""Check literal values written in definitions against the fields they are for:
defaults, rollup filters, conditions of roles and pool rules, values to set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..definitions import CURRENT_USER, EntityDef, FieldDef, OptionSetDef
from ..errors import did_you_mean
from ..values import parse_definition_text


def unfit_literal(field: FieldDef, value: object) -> str | None:
    """Why ``value`` (or each value of a list) cannot be a value of ``field``, or None."""
    kind = field.value_type
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if item is None:
            continue
        if kind == "boolean":
            if not isinstance(item, bool):
                return f"{item!r} is not true or false"
            continue
        if kind in ("json", "multi_choice", "multi_reference"):
            continue
        try:
            parse_definition_text(kind, str(item))
        except ValueError as exc:
            return str(exc)
    return None


def not_an_option(optionset: OptionSetDef | None, value: object) -> str | None:
    if optionset is None:
        return None
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if item is not None and str(item) not in optionset.values():
            return (f"'{item}' is not an option of '{optionset.name}' "
                    f"({', '.join(optionset.values())})")
    return None


def literal_problem(field: FieldDef, value: object,
                    optionsets: Mapping[str, OptionSetDef]) -> str | None:
    return unfit_literal(field, value) or not_an_option(optionsets.get(field.options or ""),
                                                        value)


# In a role's conditions, the user the role is applied to (``{engineer: $user}``).


def condition_problems(entity: EntityDef, conditions: Mapping[str, Any],
                       optionsets: Mapping[str, OptionSetDef],
                       entities: Mapping[str, EntityDef] | None = None,
                       current_user: bool = False) -> list[str]:
    """What is wrong with ``{field: value or [values]}`` conditions on ``entity``.

    With ``entities``, a name may follow references (``customer.lifecycle``); with
    ``current_user``, a user field may be compared with ``$user``."""
    problems = []
    for path, wanted in conditions.items():
        *steps, name = path.split(".")
        owner: EntityDef | None = entity
        for step in steps:
            reference = owner.fields.get(step) if owner else None
            if entities is None or reference is None or reference.type != "reference":
                problems.append(f"'{step}' in '{path}' is not a reference field of "
                                f"'{owner.name if owner else entity.name}'")
                owner = None
                break
            owner = entities.get(reference.to or "")
        if owner is None:
            continue
        field = owner.fields.get(name)
        if field is None:
            problems.append(f"unknown field '{owner.name}.{name}'"
                            f"{did_you_mean(name, owner.fields)}")
        elif not field.stored or field.value_type in ("json", "multi_choice"):
            problems.append(f"'{name}' is a {field.type} field: conditions compare single "
                            "values")
        else:
            values = list(wanted) if isinstance(wanted, (list, tuple)) else [wanted]
            if CURRENT_USER in values and not (current_user and field.type == "user"):
                problems.append(f"{name}: $user compares a user field with the caller, in a "
                                "role's where" if current_user else
                                f"{name}: $user is only for a role's where")
                continue
            rest = [v for v in values if v != CURRENT_USER]
            problem = literal_problem(field, rest, optionsets) if rest else None
            if problem:
                problems.append(f"{name}: {problem}")
    return problems

