"""The frame around every page (top bar, navigation) and a list page's body are rendered
once per set of roles, kind of page and language, and kept (ui/fragments.py,
``kept_slotted``): what is the reader's own — their name, unread count, sign-out token,
search text, the language links' query, a list's rows, filters and saved views — is
filled in on each request, escaped, and is never another reader's; a change of roles
or a customization gives a fresh frame."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metacrm.base.context import Context, Principal
from metacrm.runtime.notifications import notify
from metacrm.runtime.operation import Operation

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in

FILES = {
    **{f"entities/{name}.yaml": f"""
        entity: {name}
        label: {{en: {name.title()}, zh: {zh}}}
        plural: {{en: {name.title()}s, zh: {zh}们}}
        title: name
        fields:
          name: {{type: string}}
          secret: {{type: string}}
          owner: {{type: user, default: $user}}
        owned_by: owner
        """ for name, zh in (("account", "客户"), ("memo", "备忘"))},
    "forms/account.yaml": """
        form: account_main
        entity: account
        list: {columns: [name, secret]}
        quick_create:
          fields: [name, secret]
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          account: {operations: [read, create], scope: own, fields: {secret: hidden}}
        """,
    "roles/manager.yaml": """
        role: manager
        permissions:
          account: {operations: [read, create, delete, export]}
          memo: {operations: [read]}
        """,
}

HOSTILE = '<b>"x"</b>&'


@pytest.fixture
def frame(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    admin = make_client(write_bundle(tmp_path / "frame", FILES))
    people = {"admin": admin}
    for username, name, role in (("wang", "王 <i>伟</i>", "seller"), ("liu", "刘洋", "seller"),
                                 ("boss", "老板", "manager")):
        user = add_user(admin, username, roles=(role,), name=name)
        people[username] = signed_in(admin, username)
        people[username].id = user["id"]
    return people


def page(client, url: str = "/account") -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html[html.index("<header"):html.index("</header>")]


def entities(header: str) -> set[str]:
    return set(re.findall(r'<li><a href="/(\w+)"', header))


def test_each_reader_gets_their_own_name_token_and_search_text(frame):
    wang, liu = frame["wang"], frame["liu"]
    first = page(wang)  # kept now, and the same frame for liu: same roles, same page
    second = page(liu, "/account?q=" + HOSTILE.replace("&", "%26"))
    assert '<span class="user-name">王 &lt;i&gt;伟&lt;/i&gt;</span>' in first
    assert f'name="csrf_token" value="{wang.csrf}"' in first and liu.csrf not in first
    assert '<span class="user-name">刘洋</span>' in second and "王" not in second
    assert f'name="csrf_token" value="{liu.csrf}"' in second and wang.csrf not in second
    assert f'data-user="{liu.id}"' in second and f'data-user="{wang.id}"' not in second
    # The search text and the language link's query, escaped as Jinja escapes them.
    assert 'value="&lt;b&gt;&#34;x&#34;&lt;/b&gt;&amp;"' in second
    assert 'href="?q=%3Cb%3E%22x%22%3C%2Fb%3E%26&amp;lang=zh"' in second
    assert '<b>"x"' not in second
    assert 'name="q" placeholder="Search" value=""' in page(wang)  # not liu's text


def test_the_unread_count_is_the_readers_own(frame):
    def badge(header: str) -> str:
        found = re.search(r'<span class="badge">([^<]*)</span>', header)
        return found.group(1) if found else "none"

    assert badge(page(frame["wang"])) == "none"  # nothing unread: the bell has no count
    platform = frame["admin"].application.extensions["metacrm"]
    with platform.writing() as conn:
        notify(Operation(conn, platform.compiled, Context(Principal(None, system=True))),
               [frame["liu"].id], "hello", {"en": "Hello"})
    assert badge(page(frame["liu"])) == "1"
    assert badge(page(frame["wang"])) == "none"


def test_the_frame_follows_roles_language_and_the_page(frame):
    wang, boss = frame["wang"], frame["boss"]
    assert entities(page(wang)) == {"account"}
    assert entities(page(boss)) == {"account", "memo"}
    assert "/memo" not in page(wang)  # the manager's frame was not handed over
    # A change of roles: the next page shows what the new roles read.
    assert frame["admin"].patch(f"/api/users/{wang.id}", json={"roles": ["manager"]}
                                ).status_code == 200
    assert entities(page(wang)) == {"account", "memo"}
    assert ">Accounts</a>" in page(wang) and ">客户们</a>" in page(wang, "/account?lang=zh")
    assert ">Accounts</a>" in page(wang)
    # The current page is marked, per page.
    assert 'href="/memo" aria-current="page"' in page(wang, "/memo")
    assert 'href="/account" aria-current="page"' in page(wang)
    assert 'href="/memo" aria-current="page"' not in page(wang)


def test_a_customization_starts_a_fresh_frame(frame):
    admin, wang = frame["admin"], frame["wang"]
    platform = admin.application.extensions["metacrm"]
    before = page(wang)
    kept = platform.compiled
    assert any(isinstance(key, tuple) and key[0] == "slotted" for key in kept.memo)
    response = admin.post("/api/meta/customizations", json={
        "extend": "account", "fields": {"city": {"type": "string"}}})
    assert response.status_code == 201, response.json
    assert page(wang) == before  # the same frame, made again for the new program
    assert platform.compiled is not kept
    assert any(isinstance(key, tuple) and key[0] == "slotted"
               for key in platform.compiled.memo)


def body(client, url: str = "/account") -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html[html.index('<main id="main">'):]


def test_a_list_body_is_the_readers_own(frame):
    wang, liu, boss = frame["wang"], frame["liu"], frame["boss"]
    for who, name in ((wang, "王的客户"), (liu, "刘的 <b>客户</b>")):
        assert who.post("/api/account", json={"name": name},
                        headers={"X-CSRF-Token": who.csrf}).status_code == 201
    assert wang.post("/api/account/views", json={"name": "王的视图", "query": "q=王"},
                     headers={"X-CSRF-Token": wang.csrf}).status_code == 201
    mine = body(wang)  # kept now: liu has the same roles
    theirs = body(liu, "/account?q=" + HOSTILE.replace("&", "%26"))
    assert "王的客户" in mine and "刘的" not in mine  # the rows: each reader's scope
    assert "王的视图" in mine and "Views (1)" in mine
    assert "王的视图" not in theirs and "Views (1)" not in theirs  # a view is its owner's
    assert f'name="csrf_token" value="{wang.csrf}"' in mine and liu.csrf not in mine
    assert f'name="csrf_token" value="{liu.csrf}"' in theirs and wang.csrf not in theirs
    assert 'name="q" value="&lt;b&gt;&#34;x&#34;&lt;/b&gt;&amp;"' in theirs
    assert '<b>"x"' not in theirs and "Nothing found." in theirs
    assert "刘的 &lt;b&gt;客户&lt;/b&gt;" in body(liu)
    # What the roles allow: the manager's hidden-nothing columns, bulk delete, export;
    # the sellers' quick create without the field their role hides.
    managers = body(boss)
    assert "王的客户" in managers and "刘的 &lt;b&gt;客户&lt;/b&gt;" in managers
    assert 'data-label="Secret"' in managers and 'data-label="Secret"' not in mine
    assert 'name="ids"' in managers and 'name="ids"' not in mine
    assert "/api/account/export" in managers and "/api/account/export" not in mine
    quick = mine[mine.index('class="quick-create"'):mine.index('class="filters"')]
    assert 'name="name"' in quick and 'name="secret"' not in quick
    assert 'name="secret"' in managers[:managers.index('class="filters"')]
    assert 'name="ids"' not in body(wang)  # the manager's body was not handed over
