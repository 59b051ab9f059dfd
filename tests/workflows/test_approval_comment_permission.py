"""Commenting on an approval chain tells people (its submitter and approvers), so it is
an action, not a right of everyone who may read the record: the chain's submitter and
approvers may comment, and so may whoever's role grants ``comment`` on the record.
The read-only auditor sees every chain and may comment on none."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import org, person  # noqa: F401 - org is a fixture, used by name
from ..conftest import write_bundle
from .approvals_support import kinds, submitted_deal
from .conftest import DEALS
from .quotes_support import customer, line, product, quote, submit


def test_the_auditor_reads_a_chain_but_may_not_comment(crm, org) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wang, boss, auditor = org["wang"], org["east_boss"], org["auditor"]
    qid = quote(wang, customer(wang))
    line(wang, qid, product(crm), discount="5")
    chain = submit(wang, qid)
    shown = auditor.get(f"/api/approvals/{chain}")
    assert shown.status_code == 200
    assert shown.json["may"]["comment"] is False
    refused = auditor.post(f"/api/approvals/{chain}/comment", json={"comment": "请补充说明"})
    assert refused.status_code == 403, refused.json
    assert refused.json["errors"]["_request"] == ["You may not comment on Quotes."]
    assert "approval_comment" not in kinds(wang) + kinds(boss)
    assert [e["kind"] for e in wang.get(f"/api/approvals/{chain}").json["timeline"]] == [
        "submit", "step"]
    # the submitter and the approver still may; the director's role grants it
    for who in (wang, boss, org["director"]):
        assert who.get(f"/api/approvals/{chain}").json["may"]["comment"] is True
        said = who.post(f"/api/approvals/{chain}/comment", json={"comment": f"{who.username} 看过"})
        assert said.status_code == 200, said.json


COMMENTS = {**DEALS, "roles/roles.yaml": DEALS["roles/roles.yaml"] + """
        ---
        role: observer
        permissions:
          deal: {operations: [read, comment]}
        ---
        role: own_commenter
        permissions:
          deal: {operations: [read, comment], scope: own}
        """}


@pytest.fixture
def comments(make_client, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    crm = make_client(write_bundle(tmp_path / "comments", COMMENTS, name="deals"))
    people: dict[str, Any] = {"crm": crm}
    people["boss"] = person(crm, "boss", roles=("manager",), team="sales")
    people["rep"] = person(crm, "rep", roles=("rep",), team="sales", manager="boss")
    people["fin1"] = person(crm, "fin1", roles=("finance",))
    people["observer"] = person(crm, "observer", roles=("observer",))
    # reads every deal (finance), comments on those it holds (own_commenter)
    people["mine"] = person(crm, "mine", roles=("finance", "own_commenter"))
    return people


def test_reading_the_record_is_not_enough(comments) -> None:  # type: ignore[no-untyped-def]
    _, chain = submitted_deal(comments["rep"], amount="5000")  # finance is not asked
    fin1 = comments["fin1"]
    assert fin1.get(f"/api/approvals/{chain}").status_code == 200
    assert fin1.post(f"/api/approvals/{chain}/comment",
                     json={"comment": "x"}).status_code == 403


def test_a_role_grants_comment_on_the_records_it_reaches(comments) -> None:  # type: ignore[no-untyped-def]
    _, chain = submitted_deal(comments["rep"], amount="5000")
    said = comments["observer"].post(f"/api/approvals/{chain}/comment",
                                     json={"comment": "客户催了"})
    assert said.status_code == 200, said.json
    assert "approval_comment" in kinds(comments["rep"])
    # scope own: only on the records its user holds (the rep's deal is not one)
    mine = comments["mine"]
    assert mine.get(f"/api/approvals/{chain}").json["may"]["comment"] is False
    assert mine.post(f"/api/approvals/{chain}/comment", json={"comment": "x"}).status_code == 403
