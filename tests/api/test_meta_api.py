"""The definitions as clients see them: /api/meta/entities, one entity, one option
set, labels in the request's language (docs/api.md, "Labels and definitions")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import write_bundle

pytestmark = pytest.mark.usefixtures("cached_catalogs")

ZH = {"Accept-Language": "zh"}
SHIPPED = {"activity", "contact", "customer", "opportunity", "product", "tag"}


def _field(entity: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in entity["fields"] if f["name"] == name)


def test_the_entity_list_in_english_and_chinese(crm) -> None:
    english = crm.get("/api/meta/entities")
    assert english.status_code == 200
    by_name = {e["name"]: e for e in english.json["items"]}
    assert SHIPPED <= set(by_name)
    assert by_name["customer"] == {
        "name": "customer", "label": "Customer", "plural": "Customers", "bundle": "crm",
        "operations": ["claim", "create", "delete", "design", "export", "import", "read", "release",
                       "transfer", "update"]}
    assert by_name["activity"]["label"] == "Follow-up"

    chinese = {e["name"]: e for e in crm.get("/api/meta/entities", headers=ZH).json["items"]}
    assert (chinese["customer"]["label"], chinese["customer"]["plural"]) == ("客户", "客户")
    assert (chinese["product"]["label"], chinese["product"]["plural"]) == ("产品", "产品信息")
    assert chinese["activity"]["label"] == "跟进记录"


def test_the_language_falls_back_to_english(crm) -> None:
    for header in ("fr", "de-DE,fr;q=0.5", "zz", "*"):
        items = crm.get("/api/meta/entities", headers={"Accept-Language": header}).json["items"]
        assert {e["name"]: e["label"] for e in items}["customer"] == "Customer", header
    items = crm.get("/api/meta/entities", headers={"Accept-Language": "fr,zh-CN;q=0.8"}).json
    assert {e["name"]: e["label"] for e in items["items"]}["customer"] == "客户"


def test_an_entity_is_described_with_its_fields_in_order(crm) -> None:
    response = crm.get("/api/meta/entities/customer")
    assert response.status_code == 200
    customer = response.json
    assert (customer["name"], customer["label"], customer["plural"]) == (
        "customer", "Customer", "Customers")
    assert customer["labels"] == {"en": "Customer", "zh": "客户"}
    assert customer["help"] == "A company we sell to"
    assert customer["title"] == "name"
    assert customer["search"] == ["name", "code", "phone", "email"]
    assert customer["default_sort"] == ["-updated_at"]
    names = [f["name"] for f in customer["fields"]]
    assert names[:5] == ["name", "code", "short_name", "credit_code", "industry"]

    name = _field(customer, "name")
    assert name == {**name, "type": "string", "label": "Company name", "required": True,
                    "unique": False, "readonly": False, "max_length": 200,
                    "labels": {"en": "Company name", "zh": "公司名称"}}
    assert name["help"].startswith("Full registered name")
    assert _field(customer, "short_name")["help"] is None


def test_field_kinds_carry_their_own_keys(crm) -> None:
    customer = crm.get("/api/meta/entities/customer").json
    code = _field(customer, "code")
    assert (code["type"], code["format"], code["readonly"], code["unique"]) == (
        "autonumber", "CUS-{seq:06}", True, True)
    tags = _field(customer, "tags")
    assert (tags["type"], tags["to"]) == ("multi_reference", "tag")
    revenue = _field(customer, "annual_revenue")
    assert (revenue["type"], revenue["min"]) == ("money", 0)
    lifecycle = _field(customer, "lifecycle")
    assert (lifecycle["default"], lifecycle["required"]) == ("potential", True)
    assert _field(customer, "followup_count")["readonly"] is True  # a rollup

    opportunity = crm.get("/api/meta/entities/opportunity").json
    weighted = _field(opportunity, "weighted_amount")
    assert (weighted["type"], weighted["result"], weighted["readonly"]) == (
        "formula", "money", True)
    assert weighted["expression"] == "amount * probability / 100.0"
    customer_ref = _field(opportunity, "customer")
    assert (customer_ref["type"], customer_ref["to"], customer_ref["on_delete"]) == (
        "reference", "customer", "restrict")
    assert _field(opportunity, "contact")["on_delete"] == "set_null"
    assert _field(opportunity, "owner")["default"] == "$user"
    assert [r["name"] for r in opportunity["rules"]] == [
        "expected_close_not_past", "lost_reason_when_lost"]


def test_choices_list_their_options_in_order_in_the_requests_language(crm) -> None:
    english = _field(crm.get("/api/meta/entities/customer").json, "grade")
    assert english["optionset"] == "customer_grade"
    assert [{k: o[k] for k in ("value", "label", "color")} for o in english["options"]] == [
        {"value": "A", "label": "A", "color": "#e8684a"},
        {"value": "B", "label": "B", "color": "#f6bd16"},
        {"value": "C", "label": "C", "color": "#5b8ff9"},
        {"value": "D", "label": "D", "color": "#bfbfbf"}]
    assert english["options"][0]["help"].startswith("Strategic customers")
    chinese = _field(crm.get("/api/meta/entities/customer", headers=ZH).json, "grade")
    assert chinese["label"] == "客户等级"
    assert [o["label"] for o in chinese["options"]] == ["A 级", "B 级", "C 级", "D 级"]


def test_rules_are_described_in_the_requests_language(crm) -> None:
    rules = crm.get("/api/meta/entities/customer", headers=ZH).json["rules"]
    assert rules == [{"name": "phone_when_customer",
                      "check": "lifecycle != 'customer' || phone != null", "when": None,
                      "field": "phone", "message": "成交客户必须填写电话"}]


def test_indexes_list_the_fields_they_carry(crm) -> None:
    indexes = crm.get("/api/meta/entities/customer").json["indexes"]
    assert {"fields": ["created_at"], "unique": False,
            "include": ["lifecycle", "source", "won_amount", "owner"]} in indexes


def test_an_option_set_with_its_attributes(crm) -> None:
    response = crm.get("/api/meta/optionsets/opportunity_stage", headers=ZH)
    assert response.status_code == 200
    stages = response.json
    assert (stages["name"], stages["label"]) == ("opportunity_stage", "商机阶段")
    assert [o["value"] for o in stages["options"]] == [
        "qualify", "needs_analysis", "proposal", "negotiation", "won", "lost"]
    won = stages["options"][4]
    assert won == {**won, "label": "赢单", "probability": 100, "closed": True, "won": True}
    lost = stages["options"][5]
    assert (lost["probability"], lost["closed"], lost["reason_required"]) == (0, True, True)
    assert "won" not in stages["options"][0]


def test_an_option_set_returns_option_help(crm) -> None:
    stages = crm.get("/api/meta/optionsets/opportunity_stage", headers=ZH).json
    assert stages["options"][0]["help"] == "确认预算、决策人、需求与时间"


INLINE_BUNDLE = {
    "entities/ticket.yaml": """
        entity: ticket
        fields:
          status:
            type: choice
            options: [open, in_progress, closed]
            default: open
          due_date: {type: date}
          priority:
            type: choice
            options:
              - value: high
                label: {en: High, zh: 高}
              - value: low
        """,
}


def test_unlabelled_names_and_inline_options_get_default_labels(make_client,
                                                               tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "tickets", INLINE_BUNDLE))
    ticket = client.get("/api/meta/entities/ticket", headers=ZH).json
    assert ticket["label"] == "Ticket"  # no zh label: the default from the name
    assert _field(ticket, "due_date")["label"] == "Due date"
    status = _field(ticket, "status")
    assert [o["value"] for o in status["options"]] == ["open", "in_progress", "closed"]
    assert [o["label"] for o in status["options"]] == ["open", "in_progress", "closed"]
    priority = _field(ticket, "priority")
    assert [o["label"] for o in priority["options"]] == ["高", "Low"]
    described = client.get(f"/api/meta/optionsets/{priority['optionset']}", headers=ZH)
    assert described.status_code == 200
    assert [o["value"] for o in described.json["options"]] == ["high", "low"]


def test_unknown_entities_and_option_sets_are_404_with_a_suggestion(crm) -> None:
    entity = crm.get("/api/meta/entities/custmer")
    assert entity.status_code == 404
    (message,) = [m for messages in entity.json["errors"].values() for m in messages]
    assert "custmer" in message and "(did you mean 'customer'?)" in message

    optionset = crm.get("/api/meta/optionsets/custmer_grade")
    assert optionset.status_code == 404
    (message,) = [m for messages in optionset.json["errors"].values() for m in messages]
    assert "(did you mean 'customer_grade'?)" in message

    assert crm.get("/api/meta/entities/zzz").status_code == 404
    assert crm.get("/api/meta/optionsets/zzz").status_code == 404
    assert crm.get("/api/meta/nothing").status_code == 404


def test_the_meta_description_matches_what_the_api_accepts(crm) -> None:
    """Every writable field the meta API lists is accepted by POST; computed ones are not
    (a read-only field may still be given once, on create)."""
    customer = crm.get("/api/meta/entities/customer").json
    writable = {f["name"] for f in customer["fields"] if not f["readonly"]}
    computed = {f["name"] for f in customer["fields"] if f["computed"]}
    assert {"name", "grade", "tags", "owner", "annual_revenue"} <= writable
    assert {"code", "followup_count", "won_amount"} <= computed
    assert {f["name"] for f in customer["fields"] if f["readonly"]} == computed | {
        "owner_since", "returned_to_pool_at"}
    for name in computed:
        response = crm.post("/api/customer", json={"name": "x", name: None})
        assert response.status_code == 422, name
        assert list(response.json["errors"]) == [name]
