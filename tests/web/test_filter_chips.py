"""The list's filter chips: every filter of the query string is a chip, named as the
page names the field, a choice by its label, and removing one chip keeps every other
filter. A report's drill-down repeats bounds on one field (its period and the cell's
month, both on created_at): all apply, and each side shows its tightest bound once."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl

from ..access.conftest import create

QUERY = ("created_at__gte=2020-01-01T00:00:00Z&created_at__lt=2100-01-01T00:00:00Z"
         "&created_at__gte=2021-01-01T00:00:00Z&lifecycle=potential")


def _chips(html: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    chips = html[html.index('class="chips"'):]
    chips = chips[:chips.index("</ul>")]
    return [(unescape(re.sub(r"\s+", " ", label)).strip(), unescape(value),
             parse_qsl(unescape(url)[1:]))
            for label, value, url in re.findall(
                r'<li>([^<]*)<strong>([^<]*)</strong> <a href="([^"]*)"', chips)]


def test_each_filter_is_a_chip_and_removing_one_keeps_the_others(crm, org):
    create(org["wang"], "customer", name="甲乙丙商行")  # a potential customer
    html = org["wang"].get("/customer?created_at__gte=2020-01-01T00:00:00Z"
                           "&lifecycle=potential").get_data(as_text=True)
    chips = _chips(html)
    assert [(label, value) for label, value, _ in chips] == [
        ("Created ≥", "2020-01-01 00:00 UTC"), ("Customer type is", "Potential customer")]
    assert chips[0][2] == [("lifecycle", "potential")]
    assert chips[1][2] == [("created_at__gte", "2020-01-01T00:00:00Z")]
    assert "甲乙丙商行" in html


def test_a_drill_down_shows_the_tightest_bound_of_each_side_once(crm, org):
    create(org["wang"], "customer", name="甲乙丙商行")  # a potential customer
    html = org["wang"].get(f"/customer?{QUERY}").get_data(as_text=True)
    chips = _chips(html)
    assert [(label, value) for label, value, _ in chips] == [
        ("Created ≥", "2021-01-01 00:00 UTC"), ("Created <", "2100-01-01 00:00 UTC"),
        ("Customer type is", "Potential customer")]
    _, _, without_start = chips[0]  # removing the start removes every start
    assert without_start == [("created_at__lt", "2100-01-01T00:00:00Z"),
                             ("lifecycle", "potential")]
    assert "甲乙丙商行" in html  # every filter applied, and the record matches them all


def test_a_strict_bound_wins_a_tie_and_unlike_bounds_stay_apart(crm, org):
    chips = _chips(org["wang"].get(
        "/customer?annual_revenue__lte=500&annual_revenue__lt=500&annual_revenue__lt=900"
        "&name__gte=B&name__gte=A").get_data(as_text=True))
    assert [(label, value) for label, value, _ in chips] == [
        ("Annual revenue <", "500"), ("Company name ≥", "B"), ("Company name ≥", "A")]


def test_a_moment_reads_as_on_the_page_with_its_offset(crm, org):
    html = org["wang"].get("/customer?created_at__gte=2026-01-01T00:00:00%2B08:00"
                           "&next_followup_date=2026-03-01").get_data(as_text=True)
    assert [(label, value) for label, value, _ in _chips(html)] == [
        ("Created ≥", "2026-01-01 00:00 +08:00"), ("Next follow-up is", "2026-03-01")]


def test_repeated_filters_all_apply_and_survive_paging(crm, org):
    create(org["wang"], "customer", name="甲乙丙商行")  # a potential customer
    narrowed = org["wang"].get("/customer?created_at__gte=2020-01-01T00:00:00Z"
                               "&created_at__gte=2100-01-01T00:00:00Z")
    assert "甲乙丙商行" not in narrowed.get_data(as_text=True)  # the later start excludes it
    html = org["wang"].get(f"/customer?{QUERY}").get_data(as_text=True)
    hidden = re.findall(r'<input type="hidden" name="created_at__gte" value="([^"]+)"', html)
    assert "2020-01-01T00:00:00Z" in hidden and "2021-01-01T00:00:00Z" in hidden


def test_chips_speak_chinese(crm, org):
    html = org["wang"].get(f"/customer?{QUERY}&lang=zh").get_data(as_text=True)
    labels = [(label, value) for label, value, _ in _chips(html)]
    assert ("客户类型 等于", "潜在客户") in labels
    assert all(not label.startswith("created_at") for label, _ in labels)
