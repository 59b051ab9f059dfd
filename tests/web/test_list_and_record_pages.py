"""Every entity has a list page and a record page, generated from its definition and
read through the same engine calls as the API: a page shows exactly the records and
fields the API would give the same person, in their language."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest

from ..access.conftest import create

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def customers(crm, org):  # type: ignore[no-untyped-def]
    return {
        "wang": create(org["wang"], "customer", name="星河贸易", annual_revenue="12000000.50",
                       grade="A"),
        "yang": create(org["yang"], "customer", name="西部物流", grade="B"),
    }


def test_a_salesperson_lists_exactly_the_customers_the_api_gives_them(crm, org, customers):
    page = org["wang"].get("/customer")
    assert page.status_code == 200 and page.mimetype == "text/html"
    shown = {int(i) for i in re.findall(r'href="/customer/(\d+)"', page.get_data(as_text=True))}
    assert shown == set(org["wang"].ids("/api/customer")) == {customers["wang"]}
    words = text_of(page)
    assert "星河贸易" in words and "西部物流" not in words
    assert "Key account" in words or "A" in words  # the option's label, not a raw code


def test_a_record_outside_the_scope_is_a_not_found_page(crm, org, customers):
    response = org["wang"].get(f"/customer/{customers['yang']}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "西部物流" not in response.get_data(as_text=True)
    assert f"No Customer with id {customers['yang']}" in text_of(response)


def test_the_record_page_shows_values_as_people_read_them(crm, org, customers):
    page = text_of(org["wang"].get(f"/customer/{customers['wang']}"))
    assert "星河贸易" in page
    assert "12,000,000.50" in page  # exact money, digits grouped
    assert "Company name" in page and "Annual revenue" in page


def test_a_hidden_field_is_on_no_page(crm, org, customers):
    # The service agent's role hides the revenue figures (tests/access).
    record = org["service"].get(f"/customer/{customers['wang']}")
    assert record.status_code == 200
    assert "Annual revenue" not in text_of(record) and "12,000,000.50" not in text_of(record)
    listed = org["service"].get("/customer?sort=-annual_revenue")
    assert listed.status_code == 400  # the API's answer: no such field for them
    assert "annual_revenue" in text_of(listed)


def test_a_role_that_cannot_read_an_entity_gets_a_refusal_page(crm, org):
    response = org["nobody"].get("/customer")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "/customer" not in re.findall(r'href="([^"]+)"', response.get_data(as_text=True))


def test_navigation_lists_only_the_entities_the_roles_may_read(crm, org):
    links = set(re.findall(r'<li><a href="/(\w+)"', org["service"].get("/customer").get_data(
        as_text=True)))
    api = {name for name in links if org["service"].get(f"/api/{name}").status_code == 200}
    assert links == api and "customer" in links


def test_the_count_follows_the_lists_filters_and_scope(crm, org, customers):
    page = org["wang"].get("/customer?grade=A&sort=name").get_data(as_text=True)
    (url,) = re.findall(r'hx-get="(/customer/count\?[^"]*)"', page)
    assert "grade=A" in unescape(url) and "sort" not in url
    assert "1 record" in text_of(org["wang"].get(unescape(url)))
    assert "0 records" in text_of(org["wang"].get("/customer/count?grade=B"))  # yang's is B
    assert org["wang"].get("/customer/count?grade__gtx=1").status_code == 400


def test_the_list_is_searched_sorted_and_paged_with_the_api_grammar(crm, org):
    for n in range(55):
        create(org["wang"], "customer", name=f"客户{n:02d}", grade="C")
    first = org["wang"].get("/customer?sort=name")
    names = re.findall(r">(客户\d\d)</a>", first.get_data(as_text=True))
    assert names == [f"客户{n:02d}" for n in range(50)]
    (next_url,) = re.findall(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first.get_data(
        as_text=True))
    second = org["wang"].get("/customer" + unescape(next_url))
    assert re.findall(r">(客户\d\d)</a>", second.get_data(as_text=True)) == [
        f"客户{n:02d}" for n in range(50, 55)]
    found = org["wang"].get("/customer?q=客户07")
    assert re.findall(r">(客户\d\d)</a>", found.get_data(as_text=True)) == ["客户07"]
    bad = org["wang"].get("/customer?grade__gt=x&sort=nonsense")
    assert bad.status_code == 400 and "nonsense" in text_of(bad)


def test_pages_speak_the_language_of_the_users_profile(crm, org, customers):
    english = text_of(org["wang"].get("/customer", headers={"Accept-Language": "zh-CN"}))
    assert "Company name" in english and "Sign out" not in english  # a token: no session
    assert org["wang"].patch(f"/api/users/{org['wang'].id}", json={"language": "zh"}
                             ).status_code == 200
    chinese = text_of(org["wang"].get("/customer"))
    assert "公司名称" in chinese and "搜索" in chinese  # the definition's label, the UI's text
    assert "共 1 条记录" in text_of(org["wang"].get("/customer/count"))  # loaded after the page
    picked = text_of(org["wang"].get("/customer?lang=en"))  # one page in another language
    assert "Company name" in picked
    assert "1 record" in text_of(org["wang"].get("/customer/count?lang=en"))


def test_script_in_a_value_is_shown_as_text(crm, org):
    record = create(org["wang"], "customer", name=SCRIPT, address=SCRIPT)
    for url in ("/customer", f"/customer/{record}"):
        html = org["wang"].get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_stranger_is_sent_to_sign_in(crm):
    response = crm.application.test_client().get("/customer?grade=A")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/customer")


def test_pages_carry_the_security_headers(crm, org):
    response = org["wang"].get("/customer")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "<script>" not in response.get_data(as_text=True)  # no inline script at all


def test_the_export_link_carries_the_lists_filters_and_answers_csv(crm, org, customers):
    assert "/export" not in org["wang"].get("/customer").get_data(as_text=True)  # no right
    html = org["auditor"].get("/customer?grade=A&q=星河").get_data(as_text=True)
    link, excel = map(unescape, re.findall(r'<a href="(/api/customer/export\?[^"]+)" download>',
                                           html))
    assert "grade=A" in link and "format=csv" in link
    assert "grade=A" in excel and "q=星河" in unquote(excel) and "format=xlsx" in excel
    exported = org["auditor"].get(link)
    assert exported.status_code == 200 and "星河贸易" in exported.get_data(as_text=True)
    assert "西部物流" not in exported.get_data(as_text=True)


def test_parts_kept_between_requests_follow_the_readers_roles_and_language(crm, org):
    # The navigation and the filter builder are rendered once and kept (ui/fragments.py):
    # kept per set of roles and language, never handed to another role or language.
    def builder(client, url="/customer") -> str:  # type: ignore[no-untyped-def]
        html = client.get(url).get_data(as_text=True)
        start = html.index("data-filter-builder")
        return html[start:html.index("</form>", start)]

    def navigation(client) -> set[str]:  # type: ignore[no-untyped-def]
        html = client.get("/customer").get_data(as_text=True)
        return set(re.findall(r'<li><a href="/(\w+)"', html))

    assert 'value="annual_revenue"' in builder(org["wang"])  # kept first, for a salesperson
    assert 'value="annual_revenue"' not in builder(org["service"])  # their role hides it
    assert 'value="annual_revenue"' in builder(org["liu"])
    assert navigation(org["director"]) != navigation(org["service"])
    assert navigation(org["service"]) == {
        name for name in navigation(org["director"]) | navigation(org["service"])
        if org["service"].get(f"/api/{name}").status_code == 200}
    assert ">Field</label>" in builder(org["wang"])
    assert ">字段</label>" in builder(org["wang"], "/customer?lang=zh")
    assert ">Field</label>" in builder(org["wang"])


def test_a_reading_page_runs_on_one_connection_as_the_api_does(crm, org, customers,
                                                               monkeypatch):
    # Authentication and the page share the request's connection and transaction
    # (web/connection.py): one checkout and one BEGIN per page, as for the API.
    import sqlalchemy as sa

    platform = crm.application.extensions["metacrm"]
    # (The tests check for another process's schema change on every request.)
    monkeypatch.setattr(platform, "refresh", lambda **_: platform._compiled)
    engine = platform.engine
    seen: list[str] = []

    def checkout(*_args):  # type: ignore[no-untyped-def]
        seen.append("checkout")

    def begin(*_args):  # type: ignore[no-untyped-def]
        seen.append("begin")

    sa.event.listen(engine, "checkout", checkout)
    sa.event.listen(engine, "begin", begin)
    try:
        for url in ("/customer", f"/customer/{customers['wang']}", "/customer/count",
                    "/api/customer"):
            seen.clear()
            assert org["wang"].get(url).status_code == 200
            assert seen == ["checkout", "begin"], url
    finally:
        sa.event.remove(engine, "checkout", checkout)
        sa.event.remove(engine, "begin", begin)


def test_codes_stay_on_one_line_while_names_wrap(crm, org, customers):
    # A customer number like CUS-000012 broke at its hyphen in a narrow column.
    page = org["wang"].get("/customer").get_data(as_text=True)
    cells = dict(re.findall(r'<td data-label="([^"]*)"([^>]*)>', page))
    assert cells["Customer number"] == ' class="nowrap"'
    assert cells["Company name"] == "" and cells["City"] == ""


def test_a_list_offers_a_search_box_only_when_there_is_something_to_search(
        make_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ..conftest import write_bundle
    from ..identity.conftest import add_user, signed_in

    bundle = write_bundle(tmp_path / "visits", {
        "entities/visit.yaml": """
            entity: visit
            fields:
              starts_at: {type: datetime, required: true}
              fee: {type: money}
            """,
        "roles/desk.yaml": """
            role: desk
            permissions:
              visit: {operations: [read, create]}
            """,
    })
    client = make_client(bundle)
    add_user(client, "wang", roles=("desk",))
    desk = signed_in(client, "wang")
    assert desk.post("/api/visit", json={"starts_at": "2026-12-01T09:00:00Z"},
                     headers={"X-CSRF-Token": desk.csrf}).status_code == 201
    # No search fields and no text title: a box there could only answer with an error.
    html = desk.get("/visit").get_data(as_text=True)
    assert 'id="q"' not in html and 'id="global-q"' in html  # the top bar's search stays
    assert 'href="/visit/1"' in html
    filtered = desk.get("/visit?fee__isnull=true").get_data(as_text=True)
    assert '<a href="?">Clear</a>' in filtered
