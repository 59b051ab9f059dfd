"""Duplicates on pages, in the shipped CRM: the new-customer form refused by a blocking
rule shows the existing customer; a warning rule saves and the record page lists the
likely duplicates with a merge; the duplicates list and the merge page (a radio per
field) merge through the engine."""

from __future__ import annotations

import re
from html import unescape

from ..identity.conftest import add_user, signed_in


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _boss(crm):  # type: ignore[no-untyped-def]
    add_user(crm, "boss", roles=("admin",))
    return signed_in(crm, "boss")


def _customer(crm, **values) -> int:  # type: ignore[no-untyped-def]
    response = crm.post("/api/customer", json=values)
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def test_a_blocking_rule_shows_the_existing_record_on_the_form(crm) -> None:  # type: ignore[no-untyped-def]
    first = _customer(crm, name="北京华为技术有限公司", credit_code="91110000802100433B")
    boss = _boss(crm)
    response = boss.post("/customer/new", data={
        "csrf_token": boss.csrf, "name": "华为", "lifecycle": "potential",
        "credit_code": "91110000802100433b"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f'href="/customer/{first}"' in html
    assert "Same unified social credit code" in text_of(response)


def test_a_warning_saves_and_the_record_page_offers_a_merge(crm) -> None:  # type: ignore[no-untyped-def]
    first = _customer(crm, name="北京华为技术有限公司", phone="010-12345678")
    boss = _boss(crm)
    saved = boss.post("/customer/new", data={
        "csrf_token": boss.csrf, "name": "华为技术(北京)有限公司", "lifecycle": "potential",
        "phone": "(010) 1234 5678"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("?duplicates=1")
    page = boss.get(saved.headers["Location"])
    text = text_of(page)
    assert "Likely duplicates" in text and "Similar company name" in text
    assert "Same phone" in text
    second = int(saved.headers["Location"].split("/")[2].split("?")[0])
    assert f'/customer/merge?ids={second},{first}' in page.get_data(as_text=True)


def test_the_duplicates_list_and_the_merge_page(crm) -> None:  # type: ignore[no-untyped-def]
    first = _customer(crm, name="北京华为技术有限公司", city="北京")
    second = _customer(crm, name="华为技术（北京）有限公司", phone="13800138000")
    contact = crm.post("/api/contact", json={"customer": second, "name": "李娜"}).json["id"]
    boss = _boss(crm)
    listed = boss.get("/customer/duplicates")
    assert listed.status_code == 200
    assert f"/customer/merge?ids={first},{second}" in listed.get_data(as_text=True)
    form = boss.get(f"/customer/merge?ids={first},{second}")
    html = form.get_data(as_text=True)
    assert 'name="keep"' in html and 'name="field.name"' in html
    assert 'name="field.city"' in html  # differs: chosen by a radio
    merged = boss.post("/customer/merge", data={
        "csrf_token": boss.csrf, "ids": f"{first},{second}", "keep": str(first),
        "field.name": str(second), "field.city": str(first), "field.phone": str(second)})
    assert merged.status_code == 303, text_of(merged)
    assert merged.headers["Location"] == f"/customer/{first}"
    kept = crm.get(f"/api/customer/{first}").json
    assert (kept["name"], kept["city"], kept["phone"]) == (
        "华为技术（北京）有限公司", "北京", "+8613800138000")
    assert crm.get(f"/api/contact/{contact}").json["customer"] == first
    assert crm.get(f"/api/customer/{second}").status_code == 404
