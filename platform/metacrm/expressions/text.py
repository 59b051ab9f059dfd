"""Numbers as decimal text, and rounding to a number of places, exactly."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

ROUNDINGS = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
# A fraction with no finite decimal form (1/3) is written with this many places.
TEXT_PLACES = 20


def round_to(value: Fraction | int, places: int, rounding: str = "half_up") -> Decimal:
    """``value`` rounded once to ``places`` decimals: half_up rounds ties away from
    zero (四舍五入), half_even to the even neighbour (banker's rounding)."""
    scaled = Fraction(value) * 10**places
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * rest
    if twice > scaled.denominator or (twice == scaled.denominator and (
            rounding == "half_up" or whole % 2 == 1)):
        whole += 1
    sign = "-" if scaled < 0 and whole else ""
    return Decimal(f"{sign}{whole}").scaleb(-places)


def decimal_text(value: Fraction | int) -> str:
    """The shortest exact decimal text of ``value`` (``TEXT_PLACES`` if it has none)."""
    fraction = Fraction(value)
    denominator, places = fraction.denominator, 0
    while denominator % 10 == 0:
        denominator //= 10
        places += 1
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
            places += 1
    if denominator != 1:
        places = TEXT_PLACES
    text = format(round_to(fraction, places), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"
