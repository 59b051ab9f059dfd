"""A transfer happens whole or not at all: one record it may not move, a target over
their hold limit or not active, a malformed request, or a failure halfway, and
nothing has changed."""

from __future__ import annotations

from typing import Any

import pytest

from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import SHIPPED_BUNDLE, write_bundle
from .sales import audit_trail, book, deactivate, owners, sales_org, transfer

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def _unmoved(crm: Any, b: Any, wang: int) -> None:
    assert owners(crm, "customer", [b.star, b.river]) == {b.star: wang, b.river: wang}
    assert owners(crm, "opportunity", [b.open_opp]) == {b.open_opp: wang}
    assert audit_trail(crm) == []


def test_one_record_out_of_reach_fails_the_whole_request(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    response = transfer(org["east_boss"], ids=[b.star, b.yang_customer, b.river],
                        to=org["liu"].id, preview=False)
    assert response.status_code == 404
    assert str(b.yang_customer) in response.json["errors"]["ids"][0]
    assert str(b.star) not in response.json["errors"]["ids"][0]
    _unmoved(crm, b, org["wang"].id)


def test_missing_and_deleted_records_are_listed(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    crm.delete(f"/api/customer/{b.liu_customer}")
    response = transfer(org["director"], ids=[b.star, b.liu_customer, 999999],
                        to=org["yang"].id, preview=False)
    assert response.status_code == 404
    assert f"{b.liu_customer}, 999999;" in response.json["errors"]["ids"][0]
    _unmoved(crm, b, org["wang"].id)


def test_over_the_targets_hold_limit_nothing_moves(make_client, tmp_path) -> None:
    tight = write_bundle(tmp_path / "tight", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 2}
        """}, name="tight", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, tight)
    org = sales_org(crm)
    b = book(crm, org)  # liu holds one customer
    preview = transfer(org["director"], ids=[b.star, b.river], to=org["liu"].id)
    assert preview.json["holdings"]["customer"] == {"held": 1, "gaining": 2, "limit": 2,
                                                    "over_limit": True}
    response = transfer(org["director"], ids=[b.star, b.river], to=org["liu"].id,
                        preview=False)
    assert response.status_code == 409
    assert response.json["errors"]["_request"] == [
        ("liu (liu) would hold 3 Customers, more than their limit of 2 (1 now, 2 from this "
        "transfer); nothing was transferred.")]
    _unmoved(crm, b, org["wang"].id)
    # one fits
    assert transfer(org["director"], ids=[b.star], to=org["liu"].id,
                    preview=False).status_code == 200


def test_the_target_must_be_an_active_user(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    deactivate(crm, org["liu"].id)
    for to in (org["liu"].id, 424242):
        response = transfer(org["director"], ids=[b.star], to=to, preview=False)
        assert response.status_code == 422
        assert response.json["errors"]["to"] == [
            f"No active user with id {to}: records go only to an active user."]
    _unmoved(crm, b, org["wang"].id)


def test_records_of_an_inactive_user_can_be_handed_on(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    deactivate(crm, org["wang"].id)  # the usual case: someone has left
    response = transfer(org["director"], from_owner=org["wang"].id, to=org["liu"].id,
                        preview=False)
    assert response.status_code == 200, response.json
    assert owners(crm, "customer", [b.star, b.river]) == {b.star: org["liu"].id,
                                                         b.river: org["liu"].id}


MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"to": 1}, "ids"),
    ({"ids": [1], "from_owner": 2, "to": 1}, "ids"),
    ({"ids": [], "to": 1}, "ids"),
    ({"ids": ["1"], "to": 1}, "ids"),
    ({"ids": [True], "to": 1}, "ids"),
    ({"ids": [1]}, "to"),
    ({"ids": [1], "to": "liu"}, "to"),
    ({"from_owner": -1, "to": 1}, "from_owner"),
    ({"ids": [1], "to": 1, "note": 5}, "note"),
    ({"ids": [1], "to": 1, "note": "x" * 1001}, "note"),
    ({"ids": [1], "to": 1, "preview": "yes"}, "preview"),
    ({"ids": [1], "to": 1, "preveiw": True}, "preveiw"),
    ({"ids": list(range(1, 5002)), "to": 1}, "ids"),
]


def test_a_malformed_request_is_422_per_key(crm, subtests) -> None:
    for body, key in MALFORMED:
        with subtests.test(key=key, body=str(body)[:60]):
            response = crm.post("/api/customer/transfer", json={"preview": False, **body})
            assert response.status_code == 422, response.json
            assert key in response.json["errors"]


def test_preview_must_be_said(crm) -> None:
    response = crm.post("/api/customer/transfer", json={"ids": [1], "to": 1})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "preview": ["Say true to only preview, false to transfer."]}


def test_an_entity_without_an_owner_does_not_change_hands(crm) -> None:
    for entity in ("product", "contact"):  # no owned_by; owned through a reference
        response = crm.post(f"/api/{entity}/transfer", json={"ids": [1], "to": 1,
                                                             "preview": True})
        assert response.status_code == 404
        assert "do not change hands" in response.json["errors"]["entity"][0]


def test_a_failure_halfway_leaves_nothing_behind(crm, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    from metacrm.runtime import transfer as module

    org = sales_org(crm)
    b = book(crm, org)
    write_rows = module._audit_rows

    def fail_on_carried(batch: Any, *args: Any) -> Any:
        if batch.model.name != "customer":  # after the customers have been updated
            raise RuntimeError("the database went away")
        return write_rows(batch, *args)

    monkeypatch.setattr(module, "_audit_rows", fail_on_carried)
    crm.application.testing = False  # an unexpected error is a 500, not re-raised
    response = transfer(org["director"], ids=[b.star, b.river], to=org["liu"].id,
                        preview=False)
    assert response.status_code == 500
    _unmoved(crm, b, org["wang"].id)


def test_a_target_who_may_not_read_the_records_cannot_receive_them(crm) -> None:
    from ..access.conftest import person

    org = sales_org(crm)
    b = book(crm, org)
    clerk = person(crm, "clerk", roles=("auditor",))  # reads every customer: may hold some
    accepted = transfer(org["director"], ids=[b.star], to=clerk.id, preview=False)
    assert accepted.status_code == 200, accepted.json
    nobody = person(crm, "nobody")
    response = transfer(org["director"], ids=[b.liu_customer], to=nobody.id, preview=True)
    assert response.status_code == 422
    assert response.json["errors"]["to"] == [
        ("nobody (nobody) may not read Customers, so cannot hold them: give them a role that "
        "may.")]
    assert owners(crm, "customer", [b.liu_customer]) == {b.liu_customer: org["liu"].id}
