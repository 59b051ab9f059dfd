"""Formulas and rollups added or changed after records exist: the records already
stored get them computed (after `metacrm migrate` and after a runtime customization),
without a new version or an audit entry; what did not change is not touched."""

from __future__ import annotations

from pathlib import Path

from metacrm.operations import migrate_database
from metacrm.web.app import create_app

from ..conftest import admin_client, write_bundle

ACCOUNT = """
entity: account
fields:
  name: {type: string, required: true}
"""
DEAL = """
entity: deal
fields:
  name: {type: string, required: true}
  account: {type: reference, to: account}
  amount: {type: money}
  qty: {type: integer}
"""
DOUBLE = {"extend": "deal", "fields": {"double": {
    "type": "formula", "result": "money", "expression": "amount * 2"}}}
DEALS = {"extend": "account", "fields": {
    "deals": {"type": "rollup", "from": "deal.account", "aggregate": "count"},
    "total": {"type": "rollup", "from": "deal.account", "aggregate": "sum", "of": "amount"}}}


def _filled(client) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    account = client.post("/api/account", json={"name": "星河"}).get_json()["id"]
    deals = [client.post("/api/deal", json={"name": f"D{i}", "account": account,
                                            "amount": amount, "qty": i}).get_json()["id"]
             for i, amount in enumerate(["10.25", "0.50", None])]
    return account, deals


def test_a_formula_added_at_run_time_is_computed_for_the_records_there(
        make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "b", {"entities/account.yaml": ACCOUNT,
                                                       "entities/deal.yaml": DEAL}))
    _, deals = _filled(client)
    versions = [client.get(f"/api/deal/{d}").get_json()["version"] for d in deals]
    history = client.get(f"/api/deal/{deals[0]}/history").get_json()["items"]
    assert client.post("/api/meta/customizations", json=DOUBLE).status_code == 201
    got = [client.get(f"/api/deal/{d}").get_json() for d in deals]
    assert [d["double"] for d in got] == ["20.50", "1.00", None]
    assert [d["version"] for d in got] == versions  # derived data: no new version
    assert client.get(f"/api/deal/{deals[0]}/history").get_json()["items"] == history


def test_a_rollup_added_at_run_time_counts_the_children_already_there(
        make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "b", {"entities/account.yaml": ACCOUNT,
                                                       "entities/deal.yaml": DEAL}))
    account, _ = _filled(client)
    empty = client.post("/api/account", json={"name": "空"}).get_json()["id"]
    assert client.post("/api/meta/customizations", json=DEALS).status_code == 201
    shown = client.get(f"/api/account/{account}").get_json()
    assert (shown["deals"], shown["total"]) == (3, "10.75")
    assert client.get(f"/api/account/{empty}").get_json()["deals"] == 0


def test_migrate_computes_a_changed_formula_again(make_settings, tmp_path: Path
                                                  ) -> None:  # type: ignore[no-untyped-def]
    with_formula = DEAL + """  per_unit:
    type: formula
    result: decimal
    scale: 2
    expression: "qty > 0 ? amount / qty : null"
"""
    bundle = write_bundle(tmp_path / "b", {"entities/account.yaml": ACCOUNT,
                                           "entities/deal.yaml": with_formula})
    settings = make_settings(bundle)
    lines: list[str] = []
    assert migrate_database(settings, echo=lines.append)
    client = admin_client(create_app(settings))
    _, deals = _filled(client)
    assert client.get(f"/api/deal/{deals[1]}").get_json()["per_unit"] == "0.50"

    (bundle / "entities" / "deal.yaml").write_text(
        with_formula.replace("amount / qty", "amount / qty / 10"))
    lines.clear()
    assert migrate_database(settings, echo=lines.append)
    assert any("computed the formulas and rollups of 1 deal record(s) again" in line
               for line in lines), lines
    client = admin_client(create_app(settings))
    assert client.get(f"/api/deal/{deals[1]}").get_json()["per_unit"] == "0.05"
    lines.clear()
    assert migrate_database(settings, echo=lines.append)  # nothing changed: nothing done
    assert not any("computed" in line for line in lines), lines
