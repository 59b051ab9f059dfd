"""The landing page lists the entities with their labels and record counts."""

from __future__ import annotations


def test_home_page_lists_entities_in_the_readers_language(crm) -> None:
    crm.post("/api/customer", json={"name": "星河贸易"})
    page = crm.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    html = page.data.decode()
    assert "客户" in html and 'href="/api/customer"' in html
    assert crm.get("/?lang=en").data.decode().count("Customers") == 1


def test_home_page_counts_the_runtime_customizations(crm) -> None:
    for document in ({"extend": "customer", "fields": {"wechat": {"type": "string"}}},
                     {"extend_optionset": "industry", "options": [{"value": "wine"}]}):
        assert crm.post("/api/meta/customizations", json=document).status_code == 201
    assert "2 runtime customization(s)" in crm.get("/?lang=en").data.decode()
    assert "2 项运行时自定义" in crm.get("/?lang=zh").data.decode()
