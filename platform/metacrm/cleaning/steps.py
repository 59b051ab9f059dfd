"""The clean steps a field may declare (``clean:``), what each does to a text value,
and which field types each fits.

A step is a pure function of text to text, made once per field from the step's
option (``{phone: CN}``). A step may refuse a value it cannot make sense of by
raising ``CleanError`` with a message key (i18n.MESSAGES); most keep what they cannot
clean, so that cleaning never loses what a person typed.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .company import standard_company_name

Clean = Callable[[str], str]
TEXT_TYPES = frozenset(("string", "text", "email", "phone", "url"))


class CleanError(ValueError):
    """A value a step refuses; ``key`` is its message's (i18n.MESSAGES)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class CleanStep:
    name: str
    # Field types it fits.
    fits: frozenset[str]
    # (option or None) -> the function; ValueError for a bad option.
    make: Callable[[str | None], Clean]
    # What its option is (in messages), or None when it takes none.
    option: str | None = None
    # A module it needs that is an optional dependency, and how to install it.
    needs: str | None = None
    install: str = ""
    summary: str = ""
    # The bundle setting (BundleSettings) an omitted option comes from; resolve fills
    # it in, so that make() always gets one.
    setting: str | None = None


_SPACES = re.compile(r"\s+")
# What a phone number may look like before it is read: digits and the usual
# separators, an optional extension (what the phone type accepts, fieldtypes/phone.py).
PHONE_TEXT = re.compile(r"\+?\(?[0-9][0-9 ()\-.]{3,28}[0-9](\s*(ext\.?|x)\s*\d{1,6})?")


def _trim(option: str | None) -> Clean:
    return lambda text: _SPACES.sub(" ", text).strip()


def _nfkc(option: str | None) -> Clean:
    # NFKC folds full-width letters, digits and punctuation (１３８, ＡＢＣ, ＠) into
    # their half-width forms; CJK characters are left as they are.
    return lambda text: unicodedata.normalize("NFKC", text)


def _simplified(option: str | None) -> Clean:
    converter = importlib.import_module("opencc").OpenCC("t2s")
    return lambda text: str(converter.convert(text))


def _email_lower(option: str | None) -> Clean:
    return lambda text: text.strip().lower()


def _company_name(option: str | None) -> Clean:
    return standard_company_name


def _phone(option: str | None) -> Clean:
    import phonenumbers

    if not option:
        raise ValueError("no region: write it ({phone: CN}) or set it for the bundle "
                         "(settings: {phone_region: CN} in bundle.yaml)")
    region = option.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region '{region}' (a two-letter country code such as "
                         "CN, HK, US)")

    def clean(text: str) -> str:
        # Full-width digits (１３８…) are common in Chinese input.
        raw = unicodedata.normalize("NFKC", text).strip()
        if PHONE_TEXT.fullmatch(raw) is None:
            return text  # phonenumbers would read 138-0000-000x as a number: don't
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return text  # kept as typed: a person can still read and fix it
        if not phonenumbers.is_possible_number(number):
            return text
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return f"{formatted} ext. {number.extension}" if number.extension else formatted
    return clean


def _uscc(option: str | None) -> Clean:
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    def clean(text: str) -> str:
        try:
            return str(uscc.validate(unicodedata.normalize("NFKC", text)))
        except ValidationError:
            raise CleanError("uscc") from None
    return clean


STEPS: Mapping[str, CleanStep] = {step.name: step for step in (
    CleanStep("trim", TEXT_TYPES, _trim, summary="trim and collapse spaces"),
    CleanStep("nfkc", TEXT_TYPES, _nfkc, summary="full-width to half-width (Unicode NFKC)"),
    CleanStep("simplified", TEXT_TYPES, _simplified, needs="opencc",
              install="pip install 'metacrm[chinese]'",
              summary="traditional to simplified Chinese"),
    CleanStep("phone", frozenset(("phone", "string")), _phone, option="region",
              setting="phone_region", summary="phone number to E.164"),
    CleanStep("email_lower", frozenset(("email", "string")), _email_lower,
              summary="e-mail address in lower case"),
    CleanStep("company_name", frozenset(("string",)), _company_name,
              summary="company name written one way"),
    CleanStep("uscc", frozenset(("string",)), _uscc,
              summary="unified social credit code, checked"),
)}


def step_spec(item: Any) -> tuple[str, str | None]:
    """A ``clean:`` item (``trim`` or ``{phone: CN}``) as (name, option)."""
    if isinstance(item, Mapping):
        ((name, option),) = item.items()
        return str(name), None if option is None else str(option)
    return str(item), None


def available(step: CleanStep) -> bool:
    return step.needs is None or importlib.util.find_spec(step.needs) is not None


def compile_steps(steps: tuple[tuple[str, str | None], ...]) -> Clean | None:
    """One function applying ``steps`` (name, option) in order; None for no steps.
    Each step is a function of the text alone: the answers are remembered, so that a
    value repeated down an import's column (a city, a source, a company's switchboard
    number) is parsed once; a refused text (CleanError) is not remembered."""
    if not steps:
        return None
    functions = [STEPS[name].make(option) for name, option in steps]
    if len(functions) == 1:
        return lru_cache(maxsize=REMEMBERED)(functions[0])

    def clean(text: str) -> str:
        for function in functions:
            text = function(text)
        return text
    return lru_cache(maxsize=REMEMBERED)(clean)


REMEMBERED = 4096  # cleaned texts kept per field
