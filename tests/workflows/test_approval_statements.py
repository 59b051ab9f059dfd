"""What an approval decision costs the database: one approve runs at most ten
statements, whether it moves the chain on to its next step or ends it (and completes
the record's transition), however many tasks and events the chain already has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from .conftest import fire, new_deal

MAX_STATEMENTS = 10


@contextmanager
def statements(crm: Any) -> Iterator[list[str]]:
    """The SQL statements the platform runs meanwhile, without transaction control, the
    request's authentication (the same for every endpoint) and the poll of the schema's
    version that a server runs at most once a second (the tests poll every time)."""
    engine = crm.application.extensions["metacrm"].engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            return
        if any(name in statement for name in ("mc_schema_state", "pg_catalog.pg_class",
                                               "mc_tokens")):
            return
        if statement.startswith("SELECT mc_sequences.value"):  # a remembered token's check
            return
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_an_approve_that_moves_the_chain_on(deals) -> None:
    crm, rep, boss, fin1 = deals["crm"], deals["rep"], deals["boss"], deals["fin1"]
    deal = new_deal(rep, amount="250000")
    chain = fire(rep, deal["id"], "submit", comment="请审批").json["_approval"]["id"]
    rep.post(f"/api/approvals/{chain}/comment", json={"comment": "加急"})
    with statements(crm) as seen:
        response = boss.post(f"/api/approvals/{chain}/approve", json={"comment": "同意"})
    assert response.status_code == 200, response.json
    assert response.json["step"] == "finance"
    assert {t["user"]["id"] for t in response.json["tasks"] if t["state"] == "pending"} == {
        fin1.id, deals["fin2"].id}
    assert len(seen) <= MAX_STATEMENTS, "\n\n".join(seen)


def test_an_approve_that_ends_the_chain(deals) -> None:
    crm, rep, boss = deals["crm"], deals["rep"], deals["boss"]
    deal = new_deal(rep, amount="5000")
    chain = fire(rep, deal["id"], "submit").json["_approval"]["id"]
    with statements(crm) as seen:
        response = boss.post(f"/api/approvals/{chain}/approve")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "approved"
    assert [e["kind"] for e in response.json["timeline"]] == ["submit", "step", "approve",
                                                              "done"]
    assert len(seen) <= MAX_STATEMENTS, "\n\n".join(seen)
    assert rep.get(f"/api/deal/{deal['id']}").json["status"] == "approved"
