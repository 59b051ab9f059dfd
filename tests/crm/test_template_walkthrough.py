"""docs/writing-a-template.md stays true: its bundle (docs/examples/wholesale) passes
`metacrm check` on top of the shipped CRM, and the walkthrough's requests give the
answers it shows, from the first order to an approved one, read-only, reopened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from metacrm.cli import main

from ..conftest import SHIPPED_BUNDLE, token_for

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "wholesale"


PAGE = Path(__file__).parents[2] / "docs" / "writing-a-template.md"


def _shown(starts: str) -> list[str]:
    """The output lines the page shows that start with ``starts``."""
    return [line for line in PAGE.read_text(encoding="utf-8").splitlines()
            if line.startswith(starts)]


def test_the_example_bundle_passes_check_on_top_of_the_crm() -> None:
    result = CliRunner().invoke(main, ["check", SHIPPED_BUNDLE, str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:1] == _shown("ok: 2 bundles")


def test_the_migration_the_page_shows_is_the_one_that_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("METACRM_BUNDLES", f"{SHIPPED_BUNDLE}:{EXAMPLE}")
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("METACRM_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["migrate", "--dry-run"])
    assert result.exit_code == 0, result.output
    planned = [line for line in result.output.splitlines()
               if line.startswith("create table wholesale_order")]
    assert planned == _shown("create table wholesale_order")
    (applied,) = _shown("applied migration #1")
    changes = [line for line in result.output.splitlines() if not line.startswith(" ")]
    assert applied == f"applied migration #1 ({len(changes)} change(s))"


def _as(client: Any, token: str) -> dict[str, dict[str, str]]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_the_walkthrough_from_the_first_order_to_an_approved_one(make_client) -> None:
    admin = make_client(SHIPPED_BUNDLE, EXAMPLE)
    app = admin.application
    token_for(app, "li", roles=("sales_manager",))
    token_for(app, "zhao", roles=("sales_director",))
    wang = _as(admin, token_for(app, "wang", roles=("order_clerk",), manager="li"))
    li = _as(admin, token_for(app, "li"))
    zhao = _as(admin, token_for(app, "zhao"))
    customer = admin.post("/api/customer", json={"name": "Golden Harvest Foods"}).json["id"]
    product = admin.post("/api/product", json={"name": "Jasmine rice 10 kg", "code": "RICE-10",
                                               "price": "95.00"}).json["id"]

    order = admin.post("/api/wholesale_order", json={"customer": customer}, **wang)
    assert order.status_code == 201, order.json
    assert {k: order.json[k] for k in ("code", "status", "line_count", "total",
                                       "needs_director")} == {
        "code": "WO-00001", "status": "draft", "line_count": 0, "total": "0.00",
        "needs_director": False}
    assert order.json["deepest_discount"] is None  # max of no lines: empty, not 0
    order_id = order.json["id"]
    submit = f"/api/wholesale_order/{order_id}/transitions/submit"
    refused = admin.post(submit, **wang)
    assert (refused.status_code, refused.json) == (
        409, {"errors": {"_request": ["An order needs at least one line"]}})

    line = admin.post("/api/wholesale_order_line", json={
        "order": order_id, "product": product, "cases": 120, "case_price": "95.00",
        "discount": "2.5"}, **wang)
    assert line.status_code == 201, line.json
    assert line.json["line_total"] == "11115.00"
    shown = admin.get(f"/api/wholesale_order/{order_id}", **wang).json
    assert (shown["total"], shown["deepest_discount"], shown["needs_director"]) == (
        "11115.00", "2.50", False)

    submitted = admin.post(submit, **wang)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "pending_approval"
    chain = submitted.json["_approval"]["id"]
    assert submitted.json["_approval"]["step"] == "manager"  # no director: small, no discount
    inbox = admin.get("/api/approvals", **li).json["items"]
    assert [(i["id"], i["record_id"], i["step"]) for i in inbox] == [(chain, order_id,
                                                                       "manager")]
    assert admin.post(f"/api/approvals/{chain}/approve", json={"comment": "OK"},
                      **li).json["state"] == "approved"

    approved = admin.get(f"/api/wholesale_order/{order_id}", **wang).json
    assert approved["status"] == "approved" and approved["approved_at"]  # set: a readonly field
    locked = admin.patch(f"/api/wholesale_order_line/{line.json['id']}", json={"cases": 150},
                         **wang)
    assert (locked.status_code, locked.json) == (409, {"errors": {"_request": [
        (f"Wholesale order #{order_id} is Approved, and read-only in that state, as are its "
        "Order lines; a transition out of it (Reopen) changes that.")]}})

    # A deep discount on one line routes the order to the director as well.
    second = admin.post("/api/wholesale_order", json={"customer": customer}, **wang).json["id"]
    admin.post("/api/wholesale_order_line", json={
        "order": second, "product": product, "cases": 40, "case_price": "95.00",
        "discount": "18"}, **wang)
    routed = admin.post(f"/api/wholesale_order/{second}/transitions/submit", **wang).json
    assert (routed["total"], routed["deepest_discount"], routed["needs_director"]) == (
        "3116.00", "18.00", True)
    chain = routed["_approval"]["id"]
    steps = admin.get(f"/api/approvals/{chain}", **wang).json["steps"]
    assert [(s["name"], s["status"]) for s in steps] == [("manager", "current"),
                                                         ("director", "waiting")]
    assert admin.post(f"/api/approvals/{chain}/approve", **li).json["step"] == "director"
    assert admin.post(f"/api/approvals/{chain}/approve", **zhao).json["state"] == "approved"
    reopened = admin.post(f"/api/wholesale_order/{second}/transitions/reopen", **zhao)
    assert reopened.status_code == 200, reopened.json
    assert (reopened.json["status"], reopened.json["approved_at"]) == ("draft", None)
