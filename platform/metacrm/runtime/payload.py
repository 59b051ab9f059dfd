"""Turn a client's JSON body into field values, or per-field errors.

Unknown and read-only keys are errors (never silently dropped); values are
checked by the entity's marshmallow schema in the request's language;
defaults are applied on create; required fields are enforced. With the
caller's access: a field their role hides is as unknown as a misspelt one, a
field it makes read-only cannot be written, and the owner field may name
someone else only for a role allowed to transfer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from marshmallow import Schema, ValidationError
from marshmallow.fields import Field

from ..base.context import Context
from ..base.problems import MAX_HINTED_KEYS, BadQuery, Invalid, unknown_keys
from ..cleaning.steps import CleanError
from ..compile.models import EntityModel
from ..definitions import COMPUTED_TYPES
from ..i18n import message
from ..values import OutOfRange, to_utc
from .access import EntityAccess
from .holdings import owner_column


def read_payload(model: EntityModel, ctx: Context, body: Any, *, creating: bool,
                 current: Mapping[str, Any] | None = None,
                 access: EntityAccess | None = None,
                 hints: int = MAX_HINTED_KEYS) -> dict[str, Any]:
    """``hints``: how many unknown keys get a spelling hint (a bulk create gives them
    to its first item with unknown keys only)."""
    lang = ctx.locale
    if not isinstance(body, dict):
        raise BadQuery(message("bad_json", lang))
    errors: dict[str, list[str]] = {}
    unknown: list[str] = []
    fields = model.entity.fields
    hidden = access.hidden if access else frozenset()
    # The pool's assignment and return times are the engine's record of a change of
    # hands: a client setting them could keep a record from ever returning to the pool.
    pool = model.entity.pool
    stamp = ({n for n in (pool.assigned_at, pool.returned_at) if n}
             if pool and access is not None else set())
    # A workflow's state moves only by its transitions (which check who, guards and
    # approvals); records start in the initial state.
    state = {model.state_field} if model.state_field and access is not None else set()
    role_readonly = (access.readonly if access else frozenset()) | stamp | state
    writable = {}

    def refusal(key: str) -> str:
        if key in state:
            return message("state_by_transitions", lang, entity=model.entity.name)
        return message("read_only", lang)

    for key, value in body.items():
        field_def = fields.get(key) if key not in hidden else None
        if field_def is None:
            if key in model.types and key not in hidden:  # a system field
                errors[key] = [message("read_only", lang)]
            else:
                unknown.append(key)
        else:
            locked = field_def.readonly or key in role_readonly
            if field_def.type in COMPUTED_TYPES or (locked and creating and key in role_readonly):
                errors[key] = [refusal(key)]
            elif locked and not creating:
                # Sending back an unchanged value (a whole record) is fine.
                if current is None or current.get(key) != value:
                    errors[key] = [refusal(key)]
            else:
                writable[key] = value
    # Only the first unknown keys cost a message, and fewer a spelling hint: the rest
    # are counted.
    more = 0
    if unknown:  # (the names to hint from are listed only when a key needs one)
        unknown_errors, more = unknown_keys(
            unknown, [n for n, f in fields.items() if f.writable and n not in hidden], lang,
            hints=hints)
        errors.update(unknown_errors)
    if access is not None:
        errors.update(_owner_problems(model, ctx, access, writable, creating, current))
    _clean(model, writable, errors, lang)
    values = _deserialize(model.payload_schema(lang), writable, errors, model.types)
    for name, value in values.items():
        if isinstance(value, datetime):
            try:
                values[name] = to_utc(value)
            except OutOfRange:
                errors[name] = [message("datetime_range", lang)]
        elif isinstance(value, Decimal):
            # 1000 and 1000.00 are the same amount: store (and audit) one form.
            values[name] = value.quantize(model.decimal_quanta[name])
    if creating:
        if access is not None:
            errors.update(_chosen_defaults(model, ctx, access, values))
        _apply_defaults(model, ctx, values)
    for name in model.required_fields:
        if name in errors:
            continue
        missing = name not in values if creating else False
        if missing or (name in values and values[name] in (None, "", [])):
            errors[name] = [message("required" if missing else "null", lang)]
    if errors:
        raise Invalid(errors, names_unknown=bool(unknown), more=more)
    return values


def _clean(model: EntityModel, given: dict[str, Any], errors: dict[str, list[str]],
           lang: str) -> None:
    """The fields' clean: steps, on the text a client sent and before it is checked:
    １３８-0013-8000 is a phone number once cleaned. Whatever writes goes through here
    (API, pages, bulk, import, intake)."""
    cleaners = model.cleaners
    if not cleaners:
        return
    for key, value in list(given.items()):
        clean = cleaners.get(key)
        if clean is None or not isinstance(value, str):
            continue
        try:
            given[key] = clean(value)
        except CleanError as problem:
            errors[key] = [message(problem.key, lang)]
            del given[key]


def _deserialize(schema: Schema, given: Mapping[str, Any], errors: dict[str, list[str]],
                 types: Mapping[str, str]) -> dict[str, Any]:
    """``given`` checked and converted by the schema's fields, one by one: the same
    fields and messages as ``schema.load(given, partial=True)`` (the schema has no
    schema-level hooks), without walking all of the entity's fields for the few a
    request sends."""
    known = schema.fields
    if any(key not in known for key in given):  # cannot happen: refused as unknown
        try:
            return dict(schema.load(given, partial=True))
        except ValidationError as exc:
            _add_errors(errors, exc.messages)
            return dict(exc.valid_data or {})
    values: dict[str, Any] = {}
    for key, value in given.items():
        try:
            if types.get(key) in REPEATED_KINDS and type(value) in (str, int) \
                    and (type(value) is int or len(value) <= MAX_REMEMBERED):
                values[key] = _checked(known[key], key, type(value).__name__, value)
            else:
                values[key] = known[key].deserialize(value, key, given)
        except ValidationError as exc:
            _add_errors(errors, {key: exc.messages})
    return values


# The built-in kinds whose check is a function of the value alone, with an answer
# that cannot change (a text, a number): a value repeated down an import's column or
# from request to request (a city, a source, an option, a grade) is checked once.
REPEATED_KINDS = frozenset({"string", "choice", "email", "url", "integer", "money"})
MAX_REMEMBERED = 64  # characters: a long text is seldom repeated


@lru_cache(maxsize=4096)
def _checked(field: Field, key: str, kind: str, value: Any) -> Any:
    """A field's check of a value, remembered (``kind``: 1 and True are not one key;
    a value refused is checked again each time, with its messages)."""
    return field.deserialize(value, key, {key: value})


def _add_errors(errors: dict[str, list[str]], messages: Any) -> None:
    for key, found in _flatten(messages).items():
        errors.setdefault(key, []).extend(found)


def _owner_problems(model: EntityModel, ctx: Context, access: EntityAccess,
                    given: Mapping[str, Any], creating: bool,
                    current: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Who holds a record is set once, on create: for oneself or nobody (the pool),
    or for someone else by a role that may transfer. Afterwards records change hands
    only by claim, release and transfer, which check limits, carry what follows and
    say so in the audit trail."""
    owner = owner_column(model)
    if owner is None or owner not in given:
        return {}
    value = given[owner]
    if not creating:
        if current is not None and current.get(owner) == value:
            return {}
        return {owner: [message("owner_by_transfer", ctx.locale, entity=model.name)]}
    if value in (None, ctx.user_id) or access.allows("transfer"):
        return {}
    return {owner: [message("owner_needs_transfer", ctx.locale)]}


def _chosen_defaults(model: EntityModel, ctx: Context, access: EntityAccess,
                     values: Mapping[str, Any]) -> dict[str, list[str]]:
    """A read-only field with a default (who asked for an invoice, who requested a
    booking) takes its default on create: it decides who may fire transitions and who
    is told, so a client may not name someone else. Giving the default itself is fine;
    a role's ``set_on_create`` lets it choose."""
    fields = model.entity.fields
    return {name: [message("default_on_create", ctx.locale)]
            for name in model.defaulted_fields
            if name in values and fields[name].readonly
            and not access.policy.may_set_on_create(name)
            and values[name] != default_value(model, ctx, name)}


def _apply_defaults(model: EntityModel, ctx: Context, values: dict[str, Any]) -> None:
    if model.state_field and model.state_field not in values:
        values[model.state_field] = model.initial_state
    for name in model.defaulted_fields:
        if name not in values:
            values[name] = default_value(model, ctx, name)


def default_values(model: EntityModel, ctx: Context) -> dict[str, Any]:
    """What a new record gets for each field left out of its body (a new form shows it)."""
    return {name: default_value(model, ctx, name) for name in model.defaulted_fields}


def default_value(model: EntityModel, ctx: Context, name: str) -> Any:
    field_def = model.entity.fields[name]
    default = field_def.default
    if default == "$today":  # the day where people work (the bundles' time zone)
        local = ctx.now.astimezone(model.catalog.settings.tzinfo)
        return local.date() if field_def.type == "date" else local.replace(
            hour=0, minute=0, second=0, microsecond=0)
    if default == "$now":
        return ctx.now
    if default == "$user":
        return ctx.user_id
    # A literal default reads the same every time: read once per entity (an import
    # applies it to every row). Copied, in case it is a list the caller changes.
    value = model.statement(("default", name), lambda: model.payload_schema(ctx.locale).load(
        {name: default}, partial=True)[name])
    return list(value) if isinstance(value, list) else value


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, list):
        return {prefix or "_request": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}[{key}]" if prefix and isinstance(key, int) else (
            f"{prefix}.{key}" if prefix else str(key))
        flat.update(_flatten(value, name))
    return flat
