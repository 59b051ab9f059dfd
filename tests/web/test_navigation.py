"""The pages' menu: a bundle groups its entities under headings (`navigation:` in
bundle.yaml); each person sees the groups and entities their roles may read, in
the bundle's order, and whatever no group names under "More". `check` locates an
unknown or twice-listed entity; a later bundle's navigation replaces an earlier one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in

ENTITIES = {
    f"entities/{name}.yaml": f"""
        entity: {name}
        label: {{en: {name.title()}, zh: {zh}}}
        plural: {{en: {name.title()}s, zh: {zh}}}
        fields:
          name: {{type: string}}
        """
    for name, zh in (("account", "客户"), ("deal", "商机"), ("invoice", "发票"),
                     ("memo", "备忘"))
}
ROLES = {
    "roles/seller.yaml": """
        role: seller
        permissions:
          account: {operations: [read]}
          deal: {operations: [read]}
          memo: {operations: [read]}
        """,
}
MANIFEST = """
bundle: test
version: 1.0.0
navigation:
  - label: {en: Sales, zh: 销售}
    entities: [deal, account]
  - label: {en: Finance, zh: 财务}
    entities: [invoice]
"""


def diagnostics(bundle: Path) -> list[str]:
    try:
        load_catalog([bundle])
    except DefinitionError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def test_check_locates_unknown_and_repeated_entities(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {**ENTITIES, "bundle.yaml": """
        bundle: test
        version: 1.0.0
        navigation:
          - label: {en: Sales}
            entities: [deal, acount]
          - label: {en: More sales}
            entities: [deal]
        """})
    monkeypatch.chdir(bundle)
    assert diagnostics(Path(".")) == [
        "bundle.yaml:5:22: navigation 'Sales': unknown entity 'acount' (did you mean "
        "'account'?)",
        "bundle.yaml:7:16: navigation 'More sales': entity 'deal' is already under 'Sales'; "
        "list it once",
    ]


def test_a_later_bundle_reorganises_the_menu(tmp_path: Path) -> None:
    base = write_bundle(tmp_path / "base", {**ENTITIES, "bundle.yaml": MANIFEST})
    on_top = write_bundle(tmp_path / "top", {"bundle.yaml": """
        bundle: top
        version: 1.0.0
        requires: [test]
        navigation:
          - label: {en: Everything}
            entities: [memo, account]
        """})
    assert [g.entities for g in load_catalog([base]).navigation] == [
        ("deal", "account"), ("invoice",)]
    assert [g.entities for g in load_catalog([base, on_top]).navigation] == [
        ("memo", "account")]
@pytest.fixture
def grouped(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "b", {**ENTITIES, **ROLES,
                                                       "bundle.yaml": MANIFEST}))
    add_user(client, "wang", roles=("seller",), language="zh")
    return client


def test_the_menu_shows_the_readable_entities_under_their_headings(grouped):
    html = signed_in(grouped, "wang").get("/deal").get_data(as_text=True)
    nav = html[html.index('<nav id="nav"'):]
    nav = nav[:nav.index("</nav>")]
    groups = re.findall(r'<h2 id="nav-group-\d">([^<]+)</h2>\s*<ul[^>]*>(.*?)</ul>', nav, re.S)
    # Finance holds nothing a seller may read: no heading at all; the memo no group
    # names goes under "More" (更多, the seller reads Chinese).
    assert [(heading, re.findall(r'href="/(\w+)"', items)) for heading, items in groups] == [
        ("销售", ["deal", "account"]), ("更多", ["memo"])]
    assert 'href="/deal" aria-current="page"' in nav


def test_without_navigation_the_menu_is_one_list_in_definition_order(make_client, tmp_path):
    client = make_client(write_bundle(tmp_path / "plain", {**ENTITIES, **ROLES}))
    add_user(client, "wang", roles=("seller",))
    html = signed_in(client, "wang").get("/deal").get_data(as_text=True)
    nav = html[html.index('<nav id="nav"'):html.index("</nav>")]
    assert "nav-group" not in nav
    assert re.findall(r'href="/(account|deal|invoice|memo)"', nav) == ["account", "deal", "memo"]


def test_a_template_on_top_names_the_product(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = write_bundle(tmp_path / "base", {**ENTITIES, "bundle.yaml": MANIFEST + """
label: {en: Base CRM, zh: 基础}
"""})
    on_top = write_bundle(tmp_path / "top", {"bundle.yaml": """
        bundle: top
        version: 1.0.0
        label: {en: Clinic, zh: 诊所}
        requires: [test]
        """})
    assert load_catalog([base, on_top]).product_label.get("zh") == "诊所"
    client = make_client(base, on_top)
    assert '<a class="brand" href="/">Clinic</a>' in client.get("/deal").get_data(as_text=True)
    assert client.get("/api/openapi.json").json["info"]["title"] == "Clinic"
