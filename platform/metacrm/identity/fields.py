"""Check what people send about users, teams, tokens and sign-in (JSON bodies of
the identity API, options of the ``metacrm user`` commands): each key known and
well-formed, every problem reported at once in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import ValidationError, validate

from ..base.problems import Invalid, unknown_keys
from ..compile.payloads import PHONE_PATTERN
from ..definitions import LANGUAGES
from ..i18n import kind_name, message
from ..values import parse_integer_value, parse_text
from .password_policy import MAX_LENGTH, PasswordPolicy
from .teams import CODE as TEAM_CODE

# A check turns a JSON value into what the identity layer takes, or raises
# BadValue with a message already in the reader's language.
Check = Callable[[Any, str], Any]


class BadValue(Exception):
    """A value a check refuses; the message is for the person who sent it."""

_EMAIL = validate.Email()


def text(max_length: int, *, nullable: bool = False, spaces: bool = True) -> Check:
    def check(value: Any, lang: str) -> Any:
        if value is None or (nullable and value == ""):
            if nullable:
                return None
            raise BadValue(message("null", lang))
        if not isinstance(value, str):
            raise BadValue(message("invalid", lang, kind=kind_name("string", lang)))
        value = value.strip()
        if not value:
            raise BadValue(message("required", lang))
        if len(value) > max_length:
            raise BadValue(message("max_length", lang, max=max_length))
        if "\x00" in value or (not spaces and any(c.isspace() for c in value)):
            raise BadValue(message("no_spaces", lang) if not spaces
                             else message("pattern", lang))
        return value
    return check


def email(value: Any, lang: str) -> Any:
    value = text(254, nullable=True)(value, lang)
    if value is not None:
        try:
            _EMAIL(value)
        except ValidationError:
            raise BadValue(message("email", lang)) from None
    return value


def phone(value: Any, lang: str) -> Any:
    value = text(40, nullable=True)(value, lang)
    if value is not None and not PHONE_PATTERN.match(value):
        raise BadValue(message("phone", lang))
    return value


def language(value: Any, lang: str) -> Any:
    if value not in LANGUAGES:
        raise BadValue(message("one_of", lang, choices=", ".join(LANGUAGES)))
    return value


def new_password(policy: PasswordPolicy) -> Check:
    """A password being set: long enough and not a common one."""
    def check(value: Any, lang: str) -> Any:
        if not isinstance(value, str):
            raise BadValue(message("invalid", lang, kind=kind_name("string", lang)))
        refusal = policy.refusal(value)
        if refusal is not None:
            raise BadValue(refusal.text(lang))
        return value
    return check


def any_text(value: Any, lang: str) -> Any:
    """A password being checked, not set (or a username signing in): any string (length
    rules may have changed), but no longer than a password can be: one longer is wrong
    without hashing it."""
    if not isinstance(value, str):
        raise BadValue(message("invalid", lang, kind=kind_name("string", lang)))
    if len(value) > MAX_LENGTH:
        raise BadValue(message("max_length", lang, max=MAX_LENGTH))
    return value


def date_time(value: Any, lang: str) -> Any:
    """An ISO 8601 date-time (UTC without an offset), as an aware datetime."""
    if isinstance(value, str):
        try:
            return parse_text("datetime", value)
        except (ValueError, OverflowError):
            pass
    raise BadValue(message("invalid", lang, kind=kind_name("datetime", lang)))


def whole_number(value: Any, lang: str) -> Any:
    try:  # as the OpenAPI document's integer: 5.0 too, not "5" nor true
        return parse_integer_value(value)
    except ValueError:
        raise BadValue(message("invalid", lang, kind=kind_name("integer", lang))) from None


def boolean(value: Any, lang: str) -> Any:
    if not isinstance(value, bool):
        raise BadValue(message("invalid", lang, kind=kind_name("boolean", lang)))
    return value


def user_id(nullable: bool) -> Check:
    def check(value: Any, lang: str) -> Any:
        if value is None and nullable:
            return None
        try:
            number = parse_integer_value(value)
        except ValueError:
            number = 0
        if number < 1:
            raise BadValue(message("invalid", lang, kind=kind_name("id", lang)))
        return number
    return check


def list_of(item: Check) -> Check:
    def check(value: Any, lang: str) -> Any:
        if not isinstance(value, list):
            raise BadValue(message("invalid", lang, kind=kind_name("list", lang)))
        return list(dict.fromkeys(item(v, lang) for v in value))
    return check


def team_code(value: Any, lang: str) -> Any:
    value = text(40)(value, lang)
    if not TEAM_CODE.match(value):
        raise BadValue(message("team_code", lang))
    return value


def user_fields(policy: PasswordPolicy) -> dict[str, Check]:
    """The keys of a user, a new ``password`` checked against ``policy``."""
    return {
        "username": text(150, spaces=False), "name": text(200), "email": email,
        "phone": phone, "language": language, "password": new_password(policy),
        "current_password": any_text, "active": boolean, "is_admin": boolean,
        "manager": user_id(nullable=True), "roles": list_of(text(60)),
        "teams": list_of(text(40)),
    }


# What users may change about themselves; the rest is for administrators.
SELF_FIELDS = frozenset(("name", "email", "phone", "language", "password",
                         "current_password"))
TEAM_FIELDS: dict[str, Check] = {"code": team_code, "name": text(200),
                                 "members": list_of(user_id(nullable=False))}
# current_password: required when a browser session mints a token (see credentials_api).
TOKEN_FIELDS: dict[str, Check] = {"name": text(100), "current_password": any_text,
                                  "expires_at": date_time, "expires_in_days": whole_number}
LOGIN_FIELDS: dict[str, Check] = {"username": any_text, "password": any_text}


def check_object(body: Mapping[str, Any], fields: Mapping[str, Check], lang: str, *,
                 required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``body`` checked against ``fields``: Invalid (422) listing every problem."""
    errors, more = unknown_keys(body, fields, lang)
    values: dict[str, Any] = {}
    for key, raw in body.items():
        check = fields.get(key)
        if check is None:
            continue
        try:
            values[key] = check(raw, lang)
        except BadValue as exc:
            errors[key] = [str(exc)]
    for key in required:
        if key not in body:
            errors[key] = [message("required", lang)]
    if errors:
        raise Invalid(errors, more=more)
    return values
