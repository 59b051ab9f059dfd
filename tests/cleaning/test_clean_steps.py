"""Each clean step on what a client writes: create, update and bulk create through the
API, the values stored as cleaned (docs/cleaning-and-duplicates.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from metacrm.cleaning.company import company_key, standard_company_name
from metacrm.cleaning.steps import STEPS, compile_steps

from ..conftest import write_bundle

BUNDLE = {
    "bundle.yaml": """
        bundle: firms
        version: 1.0.0
        settings: {phone_region: CN}
        """,
    "entities/firm.yaml": """
        entity: firm
        fields:
          name: {type: string, clean: [trim, nfkc, company_name]}
          note: {type: text, clean: [trim]}
          phone: {type: phone, clean: [nfkc, phone]}
          hk_phone: {type: phone, clean: [{phone: HK}]}
          email: {type: email, clean: [trim, email_lower]}
          code: {type: string, max_length: 18, clean: [uscc]}
        """,
}
# traditional to simplified needs the optional opencc (pip install '.[chinese]')
HAS_OPENCC = importlib.util.find_spec("opencc") is not None
if HAS_OPENCC:
    BUNDLE["entities/firm.yaml"] = (BUNDLE["entities/firm.yaml"].rstrip(" ")
                                    + "          old_name: {type: string, clean: [simplified]}\n")


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "firm", BUNDLE))


def _clean(step: str, text: str, option: str | None = None) -> str:
    clean = compile_steps(((step, option),))
    assert clean is not None
    return clean(text)


def test_trim_collapses_spaces() -> None:
    assert _clean("trim", "  上海   星河\t贸易 \n") == "上海 星河 贸易"


def test_nfkc_turns_full_width_into_half_width() -> None:
    assert _clean("nfkc", "１３８００１３８０００ ＡＢＣ＠ｘ．ｃｎ") == "13800138000 ABC@x.cn"


@pytest.mark.skipif(not HAS_OPENCC, reason="opencc (the 'chinese' extra) is not installed")
def test_simplified_converts_traditional_chinese() -> None:
    assert _clean("simplified", "華為技術有限公司") == "华为技术有限公司"


@pytest.mark.parametrize(("typed", "stored"), [
    ("+86 138-0013-8000", "+8613800138000"),
    ("13800138000", "+8613800138000"),
    ("１３８ ００１３ ８０００", "+8613800138000"),
    ("010-12345678", "+861012345678"),
    ("(010) 1234-5678", "+861012345678"),
    ("+1 650 253 0000", "+16502530000"),
    ("call me", "call me"),  # not a number: kept as typed
    ("123", "123"),
])
def test_phone_to_e164_with_the_default_region(typed: str, stored: str) -> None:
    assert _clean("phone", typed, "CN") == stored


def test_phone_region_from_the_option() -> None:
    assert _clean("phone", "2123 4567", "HK") == "+85221234567"


def test_email_lower() -> None:
    assert _clean("email_lower", " Li.Na@Example.COM ") == "li.na@example.com"


@pytest.mark.parametrize(("typed", "stored"), [
    ("华为技术(北京)有限公司", "华为技术（北京）有限公司"),
    ("华为技术 （ 北京 ） 有限公司", "华为技术（北京）有限公司"),
    ("北京华为技术有限公司", "北京华为技术有限公司"),
    ("Acme co ltd", "Acme Co., Ltd."),
    ("ACME Co.,Ltd", "ACME Co., Ltd."),
    ("Siemens gmbh", "Siemens GmbH"),
    ("Apple inc", "Apple Inc."),
])
def test_company_name_keeps_the_legal_name_written_one_way(typed: str, stored: str) -> None:
    assert standard_company_name(typed) == stored


@pytest.mark.parametrize("name", [
    "北京华为技术有限公司", "华为技术（北京）有限公司", "华为技术(北京)有限公司",
    "华为技术有限责任公司", "华为技术股份有限公司", "北京市华为技术有限公司", "华为技术集团",
])
def test_company_key_matches_one_company_in_every_spelling(name: str) -> None:
    assert company_key(name) == "华为技术"


def test_company_key_of_latin_names() -> None:
    assert company_key("ACME Co., Ltd.") == company_key("Acme Inc") == "acme"


def test_every_step_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "cleaning-and-duplicates.md").read_text()
    for name in STEPS:
        assert f"`{name}`" in text


def test_create_update_and_bulk_store_cleaned_values(client) -> None:  # type: ignore[no-untyped-def]
    created = client.post("/api/firm", json={
        "name": " 华为技术(北京)有限公司 ", "note": "  a   b ",
        "phone": "+86 138-0013-8000", "hk_phone": "2123 4567",
        "email": " Li.Na@Example.COM ", "code": "9111 0000 8021 0043 3B",
        **({"old_name": "華為"} if HAS_OPENCC else {})})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["name"] == "华为技术（北京）有限公司"
    assert body["note"] == "a b"
    assert body["phone"] == "+8613800138000"
    assert body["hk_phone"] == "+85221234567"
    assert body["email"] == "li.na@example.com"
    assert body["code"] == "91110000802100433B"
    assert body.get("old_name", "华为") == "华为"
    updated = client.patch(f"/api/firm/{body['id']}", json={"phone": "010-12345678"})
    assert updated.json["phone"] == "+861012345678"
    bulk = client.post("/api/firm/bulk", json={"items": [{"phone": "１３８００１３８０００"}]})
    assert bulk.status_code == 201, bulk.json
    assert bulk.json["items"][0]["phone"] == "+8613800138000"


def test_a_bad_credit_code_is_refused_where_it_was_written(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/firm", json={"code": "91110000802100433C"})
    assert response.status_code == 422
    assert "unified social credit code" in response.json["errors"]["code"][0]
