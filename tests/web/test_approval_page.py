"""An approver needs no grant on the record's entity: the inbox then opens the
request's own page, where they see the chain and decide it, as the API lets them."""

from __future__ import annotations

import re

from .test_workflow_on_pages import requirement, text_of


def _handed_to_nobody(org) -> int:  # type: ignore[no-untyped-def]
    """A submitted requirement whose manager step east_boss handed on to ``nobody``,
    who holds no role at all (so cannot open requirements)."""
    record = requirement(org)
    assert org["wang"].post(f"/api/requirement/{record}/transitions/submit").status_code == 200
    (task,) = org["east_boss"].get("/api/approvals").json["items"]
    handed = org["east_boss"].post(f"/api/approvals/{task['id']}/delegate",
                                   json={"to": org["nobody"].id})
    assert handed.status_code == 200, handed.json
    return int(task["id"])


def test_an_approver_who_cannot_open_the_record_decides_on_the_requests_page(crm, org):
    chain = _handed_to_nobody(org)
    nobody = org["nobody"]
    assert nobody.get(f"/api/approvals/{chain}").json["may"]["approve"] is True
    inbox = nobody.get("/approvals").get_data(as_text=True)
    assert f'href="/approvals/{chain}"' in inbox and "/requirement/" not in inbox

    page = nobody.get(f"/approvals/{chain}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "报表需求" in text_of(page) and "Waiting for approval" in text_of(page)
    assert f'data-api="/api/approvals/{chain}/approve"' in html
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert "/requirement/" not in html  # no link to a record page that would be a 404
    assert "do not let you open this record" in text_of(page)

    decided = nobody.post(f"/api/approvals/{chain}/approve", json={"comment": "同意"})
    assert decided.status_code == 200, decided.json
    after = nobody.get(f"/approvals/{chain}")
    assert ">Approve</button>" not in after.get_data(as_text=True)
    assert "同意" in text_of(after)
    # The chain's end says how it ended, in the reader's words: not as a quoted comment.
    assert "finished: approved" in text_of(after) and "“approved”" not in text_of(after)
    ended = text_of(nobody.get(f"/approvals/{chain}?lang=zh"))
    assert "approved" not in ended


def test_whoever_may_open_the_record_gets_the_record_page_and_a_link(crm, org):
    chain = _handed_to_nobody(org)
    wang = org["wang"]  # the submitter reads their own requirement
    inbox = wang.get("/approvals?view=submitted").get_data(as_text=True)
    assert re.search(r'href="/requirement/\d+"', inbox)
    page = wang.get(f"/approvals/{chain}")
    assert page.status_code == 200 and re.search(r'href="/requirement/\d+"',
                                                 page.get_data(as_text=True))
    assert ">Withdraw</button>" in page.get_data(as_text=True)


def test_a_request_is_not_there_for_whoever_may_not_see_it(crm, org):
    chain = _handed_to_nobody(org)
    assert org["west_boss"].get(f"/approvals/{chain}").status_code == 404
    assert org["wang"].get("/approvals/999999").status_code == 404
    zh = org["west_boss"].get(f"/approvals/{chain}?lang=zh")
    assert zh.status_code == 404 and "审批" in text_of(zh)


def test_the_request_page_speaks_chinese(crm, org):
    chain = _handed_to_nobody(org)
    page = org["nobody"].get(f"/approvals/{chain}?lang=zh")
    assert "等待审批" in text_of(page) and "同意</button>" in page.get_data(as_text=True)


def test_a_rejection_reads_in_the_readers_language_in_the_history(crm, org):
    record = requirement(org)
    assert org["wang"].post(f"/api/requirement/{record}/transitions/submit").status_code == 200
    (task,) = org["east_boss"].get("/api/approvals").json["items"]
    # decided in English: the note beside the action is put into words when read
    assert org["east_boss"].post(f"/api/approvals/{task['id']}/reject",
                                 headers={"Accept-Language": "en"}).status_code == 200
    history = org["wang"].get(f"/requirement/{record}?lang=zh").get_data(as_text=True)
    history = text_of_section(history, 'class="history"')
    assert "rejected" not in history and "驳回" in history


def text_of_section(html: str, marker: str) -> str:
    section = html[html.index(marker):]
    return re.sub(r"<[^>]+>", " ", section[:section.index("</section>")])
