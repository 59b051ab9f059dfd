"""A field type from a plugin: ``cn_id_card``, the 18-character number of a Chinese
resident identity card (居民身份证号码).

The last character is an ISO 7064 MOD 11-2 check digit over the first seventeen
(0-9 or X), and characters 7 to 14 are the holder's date of birth. A number whose
check digit is wrong is refused with a 422 that says which digit was expected, so a
mistyped number never reaches the database. Stored as text (upper-case X).

Load it with ``METACRM_PLUGINS=plugins.cn_id_card:plugin``; then any entity may have
``id_number: {type: cn_id_card}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from marshmallow import ValidationError, fields

from metacrm.expressions.boundary import text_out, value_in
from metacrm.expressions.errors import EvaluationError
from metacrm.fieldtypes import FieldType, SchemaEnv
from metacrm.fieldtypes.base import TEXT_OPERATORS
from metacrm.fieldtypes.common import common_options

NAME = "cn_id_card"
LENGTH = 18
# ISO 7064 MOD 11-2: the weight of position i (from the left) is 2^(17 - i) mod 11.
WEIGHTS = tuple(2 ** (LENGTH - 1 - i) % 11 for i in range(LENGTH - 1))
CHECK_CHARACTERS = "10X98765432"  # by the weighted sum modulo 11
NOUN = {"en": "Chinese resident ID number", "zh": "居民身份证号码"}
_WRONG = {
    "length": {"en": "{value!r} is not a Chinese resident ID number: it has 18 characters, "
                     "17 digits then a digit or X",
               "zh": "{value!r} 不是有效的居民身份证号码：应为 18 位，"
                     "前 17 位是数字，最后一位是数字或 X"},
    "birth": {"en": "{value!r} is not a Chinese resident ID number: characters 7 to 14 are a "
                    "date of birth (YYYYMMDD), not {birth}",
              "zh": "{value!r} 不是有效的居民身份证号码：第 7 至 14 位应为出生日期"
                    "（YYYYMMDD），而不是 {birth}"},
    "check": {"en": "{value!r} is not a valid Chinese resident ID number: its check digit "
                    "should be {expected}, not {found}",
              "zh": "{value!r} 不是有效的居民身份证号码：校验码应为 {expected}，而不是 {found}"},
}


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first seventeen digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def id_card_problem(value: str, lang: str = "en") -> str | None:
    """Why ``value`` is not an ID number (in ``lang``), or None."""
    def say(key: str, **params: Any) -> str:
        return (_WRONG[key].get(lang) or _WRONG[key]["en"]).format(value=value, **params)

    if len(value) != LENGTH or not value[:17].isdigit() or not value[:17].isascii() or (
            value[17] not in "0123456789X"):
        return say("length")
    birth = value[6:14]
    try:
        date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return say("birth", birth=birth)
    expected = check_character(value[:17])
    if value[17] != expected:
        return say("check", expected=expected, found=value[17])
    return None


def parse_id_card(raw: str) -> str:
    """The number as stored (a lower-case x made upper-case); ValueError says why not."""
    value = raw.strip().upper()
    problem = id_card_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class IdCardField(fields.String):
    """A request body's ID number: refused (422, in the request's language) unless its
    check digit is right."""

    def __init__(self, lang: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lang = lang

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        problem = id_card_problem(text, self.lang)
        if problem:
            raise ValidationError(problem)
        return text


def _to_field(value: Any, field: Any) -> str | None:
    text = text_out(value)
    if text is not None and (problem := id_card_problem(text.upper())):
        raise EvaluationError(problem)
    return None if text is None else text.upper()


def _list_text(value: Any, field: Any) -> str:
    # Lists show where the holder registered and the check digit, not the birthday.
    return "" if value is None else f"{value[:6]}********{value[14:]}"


def _read_cell(cell: Any, field: Any) -> str:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        # A spreadsheet keeps 15 significant digits of a number: the rest is lost.
        raise ValueError(  # noqa: TRY004 - a bad cell, reported with the others
            f"{cell!r} is a number cell, which loses an ID number's last digits: format the "
            "column as text")
    return parse_id_card(str(cell))


def _schema(field: Any, output: bool, env: SchemaEnv) -> dict[str, Any]:
    return {"type": "string", "minLength": LENGTH, "maxLength": LENGTH,
            "pattern": "^[0-9]{17}[0-9Xx]$", "format": NAME}


def cn_id_card_type() -> FieldType:
    return FieldType(
        name=NAME, noun=NOUN, keys=frozenset(), column=lambda field: sa.String(LENGTH),
        payload=lambda field, lang, options: IdCardField(lang, **common_options(NOUN, lang)),
        parse=parse_id_card, output=lambda field: None, expression_type="string",
        to_expression=value_in, to_field=_to_field, operators=TEXT_OPERATORS,
        ordering="value", schema=_schema, filter_schema=lambda field, env: {"type": "string"},
        widget="text", list_text=_list_text, read_cell=_read_cell,
        max_length=lambda field: LENGTH,
    )


class IdCardPlugin:
    """The plugin: no hooks, one field type."""

    name = "cn_id_card"
    hooks: ClassVar[dict[str, Any]] = {}

    def field_types(self) -> tuple[FieldType, ...]:
        return (cn_id_card_type(),)


plugin = IdCardPlugin()
