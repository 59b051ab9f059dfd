"""A layout's required_if and readonly_if hold on every write through the API, not
only in the browser: a caller that skips the page gets the same 422 on the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import token_for, write_bundle

FILES = {
    "entities/deal.yaml": """
        entity: deal
        title: name
        fields:
          name: {type: string, required: true}
          stage:
            type: choice
            label: {en: Stage, zh: 阶段}
            options:
              - {value: open, label: {en: Open, zh: 进行中}}
              - {value: won, label: {en: Won, zh: 赢单}}
              - {value: lost, label: {en: Lost, zh: 输单}}
          amount: {type: money, label: {en: Amount, zh: 金额}}
          lost_reason: {type: string}
          discount: {type: percent}
          notes: {type: text}
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          deal: {operations: [read, create, update, import]}
        """,
    "roles/manager.yaml": """
        role: manager
        permissions:
          deal: {operations: [read, create, update]}
        """,
    "roles/clerk.yaml": """
        role: clerk
        permissions:
          deal: {operations: [read, create, update], fields: {lost_reason: readonly}}
        """,
    "forms/deal.yaml": """
        form: deal_main
        entity: deal
        sections:
          - fields:
              - name
              - stage
              - {field: amount, readonly_if: "stage == 'won'"}
              - field: lost_reason
                visible_if: "stage == 'lost'"
                required_if: "stage == 'lost'"
          - visible_if: "amount > 100000"
            fields:
              - {field: discount, required_if: "true"}
        ---
        # A clerk may not write the reason: a layout cannot ask them for it.
        form: deal_clerk
        entity: deal
        roles: [clerk]
        sections:
          - fields: [name, stage, {field: lost_reason, required_if: "stage == 'lost'"}]
        ---
        # A manager's layout asks for nothing: the chosen layout is the caller's.
        form: deal_manager
        entity: deal
        roles: [manager]
        sections:
          - fields: [name, stage, amount, lost_reason, discount]
        """,
}


@pytest.fixture
def app_clients(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "deals", FILES))

    def as_role(username: str, role: str):  # type: ignore[no-untyped-def]
        token = token_for(client.application, username, roles=(role,))
        return {"Authorization": f"Bearer {token}"}

    return client, as_role("seller", "seller"), as_role("boss", "manager")


def test_required_if_refuses_a_create_that_leaves_the_field_empty(app_clients):
    client, seller, _ = app_clients
    refused = client.post("/api/deal", json={"name": "A", "stage": "lost"}, headers=seller)
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["lost_reason"]
    # The condition reads in the caller's words: labels for fields and options.
    assert refused.json["errors"]["lost_reason"] == [
        "Required here: the form asks for it when Stage == 'Lost'."]
    in_chinese = client.post("/api/deal", json={"name": "A", "stage": "lost"},
                             headers={**seller, "Accept-Language": "zh"})
    assert in_chinese.json["errors"]["lost_reason"] == [
        "此处必填：当 阶段 == '输单' 时表单要求填写。"]
    assert client.get("/api/deal", headers=seller).json["items"] == []
    accepted = client.post("/api/deal", json={"name": "A", "stage": "lost",
                                              "lost_reason": "price"}, headers=seller)
    assert accepted.status_code == 201
    # When the condition does not hold, the field may stay empty.
    assert client.post("/api/deal", json={"name": "B", "stage": "open"},
                       headers=seller).status_code == 201


def test_required_if_refuses_an_update_that_makes_it_apply(app_clients):
    client, seller, _ = app_clients
    deal = client.post("/api/deal", json={"name": "A", "stage": "open"}, headers=seller).json
    refused = client.patch(f"/api/deal/{deal['id']}", json={"stage": "lost"}, headers=seller)
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["lost_reason"]
    assert client.get(f"/api/deal/{deal['id']}", headers=seller).json["stage"] == "open"
    # Clearing the value while the condition holds is refused the same way.
    client.patch(f"/api/deal/{deal['id']}", json={"stage": "lost", "lost_reason": "late"},
                 headers=seller)
    cleared = client.patch(f"/api/deal/{deal['id']}", json={"lost_reason": None},
                           headers=seller)
    assert cleared.status_code == 422 and list(cleared.json["errors"]) == ["lost_reason"]


def test_a_field_in_a_hidden_section_is_not_required(app_clients):
    client, seller, _ = app_clients
    small = client.post("/api/deal", json={"name": "S", "amount": "5000"}, headers=seller)
    assert small.status_code == 201  # the section shows only above 100,000
    large = client.post("/api/deal", json={"name": "L", "amount": "250000.00"}, headers=seller)
    assert large.status_code == 422 and list(large.json["errors"]) == ["discount"]


def test_readonly_if_refuses_changing_the_field_while_the_stored_record_meets_it(app_clients):
    client, seller, _ = app_clients
    deal = client.post("/api/deal", json={"name": "A", "stage": "won", "amount": "100.00"},
                       headers=seller).json
    refused = client.patch(f"/api/deal/{deal['id']}", json={"amount": "90.00"}, headers=seller)
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["amount"]
    assert "Stage == 'Won'" in refused.json["errors"]["amount"][0]
    assert client.get(f"/api/deal/{deal['id']}", headers=seller).json["amount"] == "100.00"
    # Sending the same value is no change; other fields stay editable.
    same = client.patch(f"/api/deal/{deal['id']}", json={"amount": "100.00", "name": "B"},
                        headers=seller)
    assert same.status_code == 200 and same.json["name"] == "B"
    # The condition is read on the stored record: reopening first frees the field.
    assert client.patch(f"/api/deal/{deal['id']}", json={"stage": "open"},
                        headers=seller).status_code == 200
    assert client.patch(f"/api/deal/{deal['id']}", json={"amount": "90.00"},
                        headers=seller).json["amount"] == "90.00"


def test_the_callers_own_layout_decides(app_clients):
    client, _, boss = app_clients
    created = client.post("/api/deal", json={"name": "A", "stage": "lost"}, headers=boss)
    assert created.status_code == 201  # the manager's layout has no condition


def test_a_field_the_caller_may_not_write_is_not_required_of_them(app_clients):
    client, _, _ = app_clients
    token = token_for(client.application, "clerk", roles=("clerk",))
    created = client.post("/api/deal", json={"name": "A", "stage": "lost"},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201


def test_bulk_create_names_the_row_and_field(app_clients):
    client, seller, _ = app_clients
    refused = client.post("/api/deal/bulk", json={"items": [
        {"name": "ok", "stage": "open"}, {"name": "bad", "stage": "lost"}]}, headers=seller)
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["items[1].lost_reason"]
    assert client.get("/api/deal", headers=seller).json["items"] == []


def test_a_condition_that_fails_to_evaluate_is_a_422_naming_it(make_client, tmp_path: Path):
    files = {**FILES, "forms/deal.yaml": """
        form: deal_main
        entity: deal
        sections:
          - fields:
              - name
              - amount
              - {field: discount, required_if: "100 / int(amount) > 1"}
        """}
    client = make_client(write_bundle(tmp_path / "deals", files))
    seller = {"Authorization": f"Bearer {token_for(client.application, 'x', roles=('seller',))}"}
    refused = client.post("/api/deal", json={"name": "A", "amount": "0"}, headers=seller)
    assert refused.status_code == 422, refused.json
    (text,) = refused.json["errors"]["discount"]
    assert text.startswith("The form's condition '100 / int(amount) > 1' could not be")
    assert "division by zero" in text
