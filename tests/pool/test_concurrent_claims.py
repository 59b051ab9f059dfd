"""Claims at the same moment: one record never gets two owners, and one person's
concurrent claims never take them past their hold limit."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from .conftest import Caller, audit_rows, make_record, owners, pool_customer

THREADS = 8


def _at_once(callers: list[Caller], work: Callable[[Any, int], Any]) -> list[Any]:
    """Run ``work(client, index)`` for each caller in its own thread, all released
    together; the results in caller order (exceptions re-raised)."""
    barrier = threading.Barrier(len(callers))
    results: list[Any] = [None] * len(callers)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        client = callers[index].fresh_client()
        try:
            barrier.wait(timeout=30)
            results[index] = work(client, index)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(callers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a claim hung"
    if failures:
        raise failures[0]
    return results


def _claim(record_id: int) -> Callable[[Any, int], int]:
    return lambda client, index: client.post(f"/api/customer/{record_id}/claim").status_code


def test_team_mates_claiming_one_customer_at_once_one_wins_the_rest_409(crm) -> None:
    # Managers of one team see each other's customers: every loser is told it is taken.
    app = crm.application
    mates = [Caller(app, f"boss{i}", roles=("sales_manager",), team="east")
             for i in range(THREADS)]
    customer = pool_customer(crm)

    statuses = _at_once(mates, _claim(customer["id"]))

    assert Counter(statuses) == {200: 1, 409: THREADS - 1}
    winner = mates[statuses.index(200)]
    assert owners(app, "customer", [customer["id"]]) == {customer["id"]: winner.id}
    claims = audit_rows(app, "customer", customer["id"], "claim")
    assert [row["user_id"] for row in claims] == [winner.id]


def test_salespeople_claiming_one_customer_at_once_one_wins_the_rest_409(crm) -> None:
    # A salesperson cannot see a customer someone else holds; a loser whose claim
    # starts after the winner's committed is still told it was just claimed (409),
    # not that it does not exist: everyone who may claim saw it in the pool.
    app = crm.application
    people = [Caller(app, f"rep{i}", roles=("salesperson",), team="east")
              for i in range(THREADS)]
    customer = pool_customer(crm)

    statuses = _at_once(people, _claim(customer["id"]))

    assert Counter(statuses) == {200: 1, 409: THREADS - 1}
    winner = people[statuses.index(200)]
    assert owners(app, "customer", [customer["id"]]) == {customer["id"]: winner.id}
    assert len(audit_rows(app, "customer", customer["id"], "claim")) == 1
    record = winner.get(f"/api/customer/{customer['id']}").json
    assert record["version"] == customer["version"] + 1


def test_concurrent_claims_by_one_salesperson_stop_at_the_hold_limit(leads_app) -> None:
    app = leads_app.application
    rep = Caller(app, "rep", roles=("rep",))  # hold_limit: 3
    leads = [make_record(leads_app, "lead", name=f"线索 {i}", owner=None)["id"]
             for i in range(THREADS)]

    def claim(client: Any, index: int) -> tuple[int, Any]:
        response = client.post(f"/api/lead/{leads[index]}/claim")
        return response.status_code, response.json

    results = _at_once([rep] * THREADS, claim)

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 3, 409: THREADS - 3}
    refusals = {body["errors"]["_request"][0] for status, body in results if status == 409}
    assert refusals == {"Would hold more than the limit: 3 Leads held, at most 3 allowed."}
    held = [owner for owner in owners(app, "lead", leads).values() if owner == rep.id]
    assert len(held) == 3


def test_a_claim_long_after_someone_else_took_the_record_is_404(crm) -> None:
    from datetime import UTC, datetime, timedelta

    app = crm.application
    winner, latecomer = (Caller(app, name, roles=("salesperson",)) for name in ("a", "b"))
    customer = pool_customer(crm)
    assert winner.post(f"/api/customer/{customer['id']}/claim").status_code == 200
    just_now = latecomer.post(f"/api/customer/{customer['id']}/claim")
    assert just_now.status_code == 409
    assert just_now.json["errors"]["_request"] == [
        f"Customer #{customer['id']} was claimed by someone else a moment ago."]
    platform = app.extensions["metacrm"]
    audit = platform.compiled.metadata.tables["mc_audit"]
    with platform.writing() as conn:  # the claim happened an hour ago
        conn.execute(audit.update().values(at=datetime.now(UTC) - timedelta(hours=1)))
    assert latecomer.post(f"/api/customer/{customer['id']}/claim").status_code == 404


def test_a_record_one_would_not_have_seen_in_the_pool_is_404_even_just_claimed(
        leads_app) -> None:
    """The 409 "claimed a moment ago" is only for those who saw the record in the pool:
    a southern rep, who reads southern leads only, is not told that a northern lead
    exists because someone claimed it a moment ago."""
    app = leads_app.application
    rep = Caller(app, "rep", roles=("rep",))
    south = Caller(app, "nan", roles=("south_rep",))
    north_lead = make_record(leads_app, "lead", name="北方", region="north", owner=None)
    south_lead = make_record(leads_app, "lead", name="南方", region="south", owner=None)
    assert rep.claim("lead", north_lead["id"]).status_code == 200
    assert rep.claim("lead", south_lead["id"]).status_code == 200
    # exactly as for an id that does not exist
    missing, absent = south.claim("lead", north_lead["id"]), south.claim("lead", 999999)
    assert missing.status_code == absent.status_code == 404
    assert missing.json["errors"] == {"id": [
        absent.json["errors"]["id"][0].replace("999999", str(north_lead["id"]))]}
    taken = south.claim("lead", south_lead["id"])
    assert taken.status_code == 409
    assert taken.json["errors"]["_request"] == [
        f"Lead #{south_lead['id']} was claimed by someone else a moment ago."]
