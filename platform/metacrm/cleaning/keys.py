"""Keys for finding duplicates: the matching key of a name and its blocking key.

A fuzzy comparison of every pair of a million names is out of reach; records are
compared only within a block, the records whose names start with the same sounds:
the pinyin of the matching key's first two characters (华为技术 -> huawei), or its
first four letters or digits for a Latin name (acme). Homophones (华为, 化为) share a
block; a typo in the first two characters is missed (the price of blocking).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .company import company_key

_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
BLOCK_LENGTH = 64


# A fuzzy check compares a row with up to MAX_BLOCK stored names, the same ones for
# every row of a block: each name's key is computed once, not once per comparison.
@lru_cache(maxsize=1 << 16)
def match_key(text: str, company: bool) -> str:
    """What is compared: a company's key (company.py), or the text folded (NFKC, lower
    case) without spaces and punctuation."""
    if company:
        return company_key(text)
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def block_key(key: str) -> str | None:
    """The block of a matching key; None for an empty key (never matched)."""
    if not key:
        return None
    if _CJK.match(key):
        return _pinyin(key[:2])
    return key[:4]


@lru_cache(maxsize=1 << 16)  # pypinyin takes a quarter of a millisecond a call
def _pinyin(head: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(head))[:BLOCK_LENGTH]
