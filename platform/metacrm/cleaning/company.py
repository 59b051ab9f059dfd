"""Company names: one standard spelling of a registered name, and a matching key.

``standard_company_name`` keeps the legal name a person registered (its suffix and
the city in brackets stay: 华为技术（北京）有限公司 and 北京华为技术有限公司 are
two legal entities' names) and only unifies how it is written: brackets, spaces,
the spellings of Latin suffixes. ``company_key`` is for matching only: it drops the
suffixes, the cities and the punctuation, so that both names above give 华为技术.
"""

from __future__ import annotations

import re
import unicodedata

# Chinese legal-form suffixes, longest first: stripping 有限公司 from 股份有限公司
# would leave 股份 behind.
CHINESE_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "控股有限公司",
    "有限公司", "分公司", "总公司", "集团公司", "股份公司", "控股集团", "集团", "公司",
    "有限合伙", "合伙企业", "个体工商户", "工作室", "事务所", "研究院", "厂",
)
# Latin legal forms: each pattern (matched at the end of a name, case-insensitive)
# and its standard spelling.
LATIN_SUFFIXES: tuple[tuple[str, str], ...] = (
    (r"co\.?\s*,?\s*ltd\.?", "Co., Ltd."),
    (r"company\s+limited", "Company Limited"),
    (r"limited", "Limited"),
    (r"ltd\.?", "Ltd."),
    (r"inc\.?|incorporated", "Inc."),
    (r"corp\.?|corporation", "Corp."),
    (r"l\.?l\.?c\.?", "LLC"),
    (r"gmbh", "GmbH"),
    (r"ag", "AG"),
    (r"s\.?a\.?", "S.A."),
    (r"plc", "PLC"),
    (r"pte\.?\s*ltd\.?", "Pte. Ltd."),
    (r"co\.?", "Co."),
    (r"group", "Group"),
)
_LATIN = [(re.compile(rf"(?:^|[\s,])({pattern})$", re.IGNORECASE), spelling)
          for pattern, spelling in LATIN_SUFFIXES]
_LATIN_WORDS = re.compile(
    r"\b(co|ltd|limited|company|inc|incorporated|corp|corporation|llc|gmbh|ag|sa|plc|pte|"
    r"group|holdings?)\b", re.IGNORECASE)
# Provinces, municipalities and the larger cities, as they open or bracket a name.
PLACES = (
    "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "深圳", "广州", "杭州", "南京", "苏州", "武汉", "成都", "西安", "郑州", "长沙",
    "青岛", "大连", "宁波", "厦门", "沈阳", "济南", "合肥", "福州", "无锡", "东莞", "佛山",
    "昆明", "哈尔滨", "长春", "石家庄", "太原", "南昌", "南宁", "贵阳", "兰州", "海口",
    "珠海", "温州", "常州", "烟台", "中国",
)
_PLACE = re.compile(r"^(?:" + "|".join(sorted(PLACES, key=len, reverse=True))
                    + r")(?:省|市|自治区|特别行政区)?")
_BRACKETS = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def standard_company_name(name: str) -> str:
    """The name as registered, written one way: half-width letters and digits, single
    spaces, no space between Chinese characters, full-width brackets around Chinese
    (（北京）) and half-width around Latin text, and one spelling of each Latin
    suffix (Co., Ltd.)."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip()
    # NFKC turns （ into (: put Chinese brackets back as Chinese names write them.
    text = _BRACKETS.sub(_bracket, text)
    text = re.sub(r"(?<=[\u3400-\u9fff（）]) (?=[\u3400-\u9fff（）])", "", text)
    for pattern, spelling in _LATIN:
        found = pattern.search(text)
        if found is not None and not _CJK.search(text[found.start(1):]):
            head = text[:found.start(1)].rstrip(" ,")
            if head:
                text = f"{head} {spelling}"
            break
    return text


def _bracket(found: re.Match[str]) -> str:
    inside = found.group(1).strip()
    return f"（{inside}）" if _CJK.search(inside) else f"({inside})"


def company_key(name: str) -> str:
    """What two spellings of one company have in common: lower case, without brackets
    and what they hold, a leading place name, legal-form suffixes, punctuation and
    spaces. 北京华为技术有限公司 and 华为技术（北京）有限公司 both give 华为技术."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _BRACKETS.sub(" ", text)
    text = _LATIN_WORDS.sub(" ", text)
    text = _NOT_WORD.sub("", text)
    for _ in range(3):  # 某某集团股份有限公司: 股份有限公司, then 集团
        before = text
        for suffix in CHINESE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[:-len(suffix)]
                break
        if text == before:
            break
    place = _PLACE.match(text)
    if place is not None and len(text) - place.end() >= 2:
        text = text[place.end():]
    return text
