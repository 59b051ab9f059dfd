"""The top bar's search looks in every entity the viewer may read, with the API's
search and scope; the bell opens the user's notifications."""

from __future__ import annotations

import re
from html import unescape

from ..access.conftest import create


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_search_finds_records_across_entities_within_the_scope(crm, org):
    mine = create(org["wang"], "customer", name="星河贸易")
    create(org["wang"], "contact", name="星河联系人", customer=mine)
    create(org["yang"], "customer", name="星河物流")  # another salesperson's
    html = org["wang"].get("/search?q=星河").get_data(as_text=True)
    assert f'href="/customer/{mine}"' in html and "星河联系人" in html
    assert "星河物流" not in html
    assert "Nothing found" in text_of(org["wang"].get("/search?q=不存在的名字"))
    assert org["wang"].get("/search").status_code == 200  # no text yet: a hint, no query


def test_hostile_search_text_is_bounded_and_shown_inert(crm, org):
    response = org["wang"].get("/search?q=" + "<b>x</b>%25_" * 200)
    assert response.status_code == 200
    assert "<b>x</b>" not in response.get_data(as_text=True)


def test_the_notifications_page_lists_what_the_user_was_told(crm, org):
    customer = create(org["wang"], "customer", name="星河贸易")
    fields = org["wang"].get("/api/meta/entities/requirement").json["fields"]
    category = next(f for f in fields if f["name"] == "category")["options"][0]["value"]
    record = create(org["wang"], "requirement", title="报表需求", customer=customer,
                    category=category, description="按月汇总")
    assert org["wang"].post(f"/api/requirement/{record}/transitions/submit").status_code == 200
    page = org["east_boss"].get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/requirement/{record}"' in html and "unread" in text_of(page)
    assert 'data-api="/api/notifications/read"' in html
    assert "报表需求" not in org["west_boss"].get("/notifications").get_data(as_text=True)


def test_the_bell_counts_the_users_own_unread_notifications(crm, org):
    def badge(client) -> str:  # type: ignore[no-untyped-def]
        html = client.get("/customer").get_data(as_text=True)
        found = re.search(r'<span class="badge">([^<]*)</span>', html)
        return found.group(1) if found else "0"  # nothing unread: no badge

    customer = create(org["wang"], "customer", name="星河贸易")
    fields = org["wang"].get("/api/meta/entities/requirement").json["fields"]
    category = next(f for f in fields if f["name"] == "category")["options"][0]["value"]
    record = create(org["wang"], "requirement", title="报表需求", customer=customer,
                    category=category, description="按月汇总")
    before = int(badge(org["east_boss"]))
    assert org["wang"].post(f"/api/requirement/{record}/transitions/submit").status_code == 200
    assert int(badge(org["east_boss"])) == before + 1
    assert badge(org["west_boss"]) == "0"  # someone else's notification
    assert org["east_boss"].post("/api/notifications/read").status_code == 200
    assert badge(org["east_boss"]) == "0"
