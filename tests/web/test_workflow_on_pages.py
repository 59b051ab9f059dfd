"""A record page offers the workflow's transitions (the ones that cannot be fired now
disabled, with the engine's reason), the approval panel of a pending chain with what
the viewer may do, and the history; the inbox lists the viewer's approval tasks."""

from __future__ import annotations

import re
from html import unescape

from ..access.conftest import create


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def requirement(org):  # type: ignore[no-untyped-def]
    customer = create(org["wang"], "customer", name="星河贸易")
    return create(org["wang"], "requirement", title="报表需求", customer=customer,
                  category=_first_category(org), description="按月汇总")


def _first_category(org) -> str:  # type: ignore[no-untyped-def]
    fields = org["wang"].get("/api/meta/entities/requirement").json["fields"]
    return next(f for f in fields if f["name"] == "category")["options"][0]["value"]


def test_transitions_are_buttons_that_post_to_the_api(crm, org):
    record = requirement(org)
    html = org["wang"].get(f"/requirement/{record}").get_data(as_text=True)
    assert f'data-api="/api/requirement/{record}/transitions/submit"' in html
    assert 'data-if-match="1"' in html
    # The auditor may read it but fire nothing: the buttons are there, disabled, with why.
    audited = org["auditor"].get(f"/requirement/{record}").get_data(as_text=True)
    submit = audited[audited.index("transitions/submit"):]
    assert "disabled" in submit[:400]
    assert 'class="muted reason"' in submit


def test_a_pending_chain_shows_its_steps_and_what_the_viewer_may_do(crm, org):
    record = requirement(org)
    fired = org["wang"].post(f"/api/requirement/{record}/transitions/submit")
    assert fired.status_code == 200, fired.json
    boss = org["east_boss"].get(f"/requirement/{record}")
    panel = boss.get_data(as_text=True)
    assert "Waiting for approval" in text_of(boss)
    assert re.search(r'data-api="/api/approvals/\d+/approve"', panel)
    assert ">Approve</button>" in panel and ">Reject</button>" in panel
    # The submitter may withdraw or comment, not approve their own request.
    own = org["wang"].get(f"/requirement/{record}").get_data(as_text=True)
    assert ">Approve</button>" not in own and ">Withdraw</button>" in own
    inbox = org["east_boss"].get("/approvals")
    assert inbox.status_code == 200 and "报表需求" in text_of(inbox)
    assert "报表需求" not in text_of(org["west_boss"].get("/approvals"))
    assert "报表需求" in text_of(org["wang"].get("/approvals?view=submitted"))


def test_the_history_shows_changes_without_hidden_fields(crm, org):
    customer = create(org["wang"], "customer", name="星河贸易", annual_revenue="100")
    org["wang"].patch(f"/api/customer/{customer}", json={"annual_revenue": "200"})
    own = text_of(org["wang"].get(f"/customer/{customer}"))
    assert "History" in own and "Annual revenue" in own
    service = text_of(org["service"].get(f"/customer/{customer}"))
    assert "History" in service and "Annual revenue" not in service


def test_the_inbox_shows_whom_a_task_is_for_and_what_i_handed_on(crm, org):
    record = requirement(org)
    assert org["wang"].post(f"/api/requirement/{record}/transitions/submit").status_code == 200
    (task,) = org["east_boss"].get("/api/approvals").json["items"]
    handed = org["east_boss"].post(f"/api/approvals/{task['id']}/delegate",
                                   json={"to": org["director"].id})
    assert handed.status_code == 200, handed.json
    waiting = text_of(org["director"].get("/approvals"))
    assert "报表需求" in waiting and "On behalf of east_boss" in waiting
    handed_on = org["east_boss"].get("/approvals?view=assigned&state=delegated")
    assert "报表需求" in text_of(handed_on) and "Handed on" in text_of(handed_on)
    assert "报表需求" not in text_of(org["east_boss"].get("/approvals"))
    assert org["wang"].get("/approvals?view=submitted&state=delegated").status_code == 400


def test_a_bad_inbox_query_is_a_400_page(crm, org):
    response = org["wang"].get("/approvals?view=everyone")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_the_page_title_is_the_records_and_nothing_else(crm, org):
    customer = create(org["wang"], "customer", name="星河贸易")
    org["wang"].patch(f"/api/customer/{customer}", json={"grade": "A"})
    html = org["wang"].get(f"/customer/{customer}").get_data(as_text=True)
    (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert "星河贸易" in title and "History" not in title and "<" not in title
