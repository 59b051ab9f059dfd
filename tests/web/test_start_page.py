"""The start page: the entities the reader may open with the records within their
reach, their approval tasks, and how many runtime customizations there are."""

from __future__ import annotations

import re

from ..access.conftest import create


def test_the_start_page_lists_entities_in_the_readers_language(crm) -> None:
    crm.post("/api/customer", json={"name": "星河贸易"})
    page = crm.get("/?lang=zh")
    assert page.status_code == 200
    html = page.data.decode()
    assert re.search(r'<span class="tile-label">客户</span>\s*<span class="tile-count">1</span>',
                     html)
    assert 'href="/api/customer"' in html and 'href="/customer"' in html  # an administrator
    # The tiles stand under the menu's headings.
    assert html.index("<h2 id=\"tiles-1\">销售</h2>") < html.index('tile-label">客户<')


def test_a_salesperson_sees_tiles_without_the_api_addresses(crm, org) -> None:
    html = org["wang"].get("/").data.decode()
    assert 'href="/customer"' in html and 'href="/api/customer"' not in html


def test_counts_are_within_the_readers_scope(crm, org) -> None:
    create(org["wang"], "customer", name="王的客户")
    create(org["yang"], "customer", name="杨的客户")
    html = org["wang"].get("/").data.decode()
    assert re.search(r'tile-label">Customers</span>\s*<span class="tile-count">1<', html)
    assert "Payments" not in html or org["wang"].get("/api/payment").status_code == 200


def test_the_start_page_counts_the_runtime_customizations(crm) -> None:
    for document in ({"extend": "customer", "fields": {"wechat": {"type": "string"}}},
                     {"extend_optionset": "industry", "options": [{"value": "wine"}]}):
        assert crm.post("/api/meta/customizations", json=document).status_code == 201
    assert "2 runtime customizations" in crm.get("/?lang=en").data.decode()
    assert "2 项运行时自定义" in crm.get("/?lang=zh").data.decode()
