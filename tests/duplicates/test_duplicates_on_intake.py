"""Leads from outside go through the same cleaning and duplicate check: a lead whose
cleaned phone a blocking rule finds is refused (409, under the sender's key) without
any data of the record there is; a warning rule's match is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import write_bundle
from ..intake.conftest import FAIR, LEADS, WEB_FORM, post_lead, source_token

RULES = """
      phone: {type: phone, clean: [nfkc, {phone: CN}]}
      email: {type: email, clean: [trim, email_lower]}
"""
DUPLICATES = """
    duplicates:
      - {name: same_phone, label: {en: Same phone}, fields: [phone], action: block}
      - {name: same_email, fields: [email], action: warn}
"""


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    leads = LEADS.replace("      phone: {type: phone}\n      email: {type: email}\n",
                          RULES.lstrip("\n")) + DUPLICATES
    assert "clean: [nfkc, {phone: CN}]" in leads
    return make_client(write_bundle(tmp_path / "leads", {
        "entities/prospect.yaml": leads,
        "intake/sources.yaml": "---\n".join((WEB_FORM, FAIR))}))


def test_a_lead_with_a_known_phone_is_refused_without_the_records_data(client) -> None:  # type: ignore[no-untyped-def]
    known = client.post("/api/prospect", json={"name": "星河贸易", "phone": "13800138000"})
    assert known.status_code == 201
    token = source_token(client, "web_form")
    refused = post_lead(client, token, {"company": "别家", "tel": "+86 138-0013-8000"})
    assert refused.status_code == 409
    assert refused.json["errors"] == {
        "tel": ["A Prospect like this one exists already (Same phone)."]}
    assert "星河" not in refused.get_data(as_text=True)
    stored = post_lead(client, token, {"company": "甲", "mail": " A@Example.com"})
    assert stored.status_code == 201
    again = post_lead(client, token, {"company": "乙", "mail": "a@example.com"})
    assert again.status_code == 201  # a warning rule: stored, found in the duplicates list
    groups = client.get("/api/prospect/duplicates").json["groups"]
    assert [g["rule"] for g in groups] == ["same_email"]
