"""Helpers for the approval inbox, notification, delegation and deadline tests: the
deals bundle with deadlines on its steps, people's details set behind the API's
back, and what someone has been told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from ..access.conftest import Person, person
from ..api.conftest import cached_catalogs  # noqa: F401 - a fixture, used by name
from ..conftest import write_bundle
from .conftest import DEALS, fire, new_deal

# The manager step reminds after an hour and escalates (to the approver's manager)
# after a day; the finance step escalates to the finance_lead role after two days.
TIMED_FLOW = DEALS["workflows/deal_flow.yaml"].replace(
    """            approvers: {manager: 1}
""", """            approvers: {manager: 1}
            remind_after: 1h
            escalate_after: 1d
""").replace(
    """            approvers: {role: finance}
""", """            approvers: {role: finance}
            remind_after: 4h
            escalate_after: 2d
            escalate_to: {role: finance_lead}
""")
TIMED = {**DEALS, "workflows/deal_flow.yaml": TIMED_FLOW,
         "roles/roles.yaml": DEALS["roles/roles.yaml"] + """
        ---
        role: finance_lead
        permissions:
          deal: {operations: [read]}
        """,
         "entities/deal.yaml": DEALS["entities/deal.yaml"].replace(
             "        entity: deal\n        owned_by: owner\n",
             "        entity: deal\n        title: name\n        label: {en: Deal, zh: 商机}\n"
             "        owned_by: owner\n", 1)}
assert TIMED_FLOW.count("remind_after") == 2 and "title: name" in TIMED["entities/deal.yaml"]


@pytest.fixture(name="timed")
def timed_fixture(make_client, tmp_path, cached_catalogs) -> dict[str, Any]:  # noqa: F811
    """The deals bundle with deadlines and titles; boss over rep and other, boss under
    the director; fin1 and fin2 in finance, lead in finance_lead."""
    bundle = write_bundle(tmp_path / "timed", TIMED, name="deals")
    crm = make_client(bundle)
    people: dict[str, Any] = {"crm": crm}
    people["director"] = person(crm, "director", roles=("manager",))
    people["boss"] = person(crm, "boss", roles=("manager",), team="sales", manager="director")
    people["rep"] = person(crm, "rep", roles=("rep",), team="sales", manager="boss")
    people["other"] = person(crm, "other", roles=("rep",), team="sales", manager="boss")
    people["fin1"] = person(crm, "fin1", roles=("finance",))
    people["fin2"] = person(crm, "fin2", roles=("finance",))
    people["lead"] = person(crm, "lead", roles=("finance_lead",))
    people["outsider"] = person(crm, "outsider")
    return people


def platform_of(crm: Any) -> Any:
    return crm.application.extensions["metacrm"]


def table(crm: Any, name: str) -> sa.Table:
    return platform_of(crm).compiled.metadata.tables[name]


def set_user(crm: Any, who: Person, **values: Any) -> None:
    """Change a user's row (language, email, active) directly (and the credentials
    version, as the API does, so that running servers see a disabled user at once)."""
    from metacrm.identity.credentials import credentials_changed

    users = table(crm, "mc_users")
    with platform_of(crm).writing() as conn:
        conn.execute(users.update().where(users.c.id == who.id).values(**values))
        credentials_changed(conn, platform_of(crm).compiled.metadata)


def told(who: Person, **params: Any) -> list[dict[str, Any]]:
    """What ``who`` has been told, newest first."""
    response = who.get("/api/notifications", query_string={"limit": 500, **params})
    assert response.status_code == 200, response.json
    return response.json["items"]


def kinds(who: Person) -> list[str]:
    return [n["kind"] for n in told(who)]


def submitted_deal(rep: Person, amount: str = "5000", **values: Any) -> tuple[int, int]:
    """A new deal of ``rep``'s, submitted for approval: (deal id, chain id)."""
    deal = new_deal(rep, amount=amount, **values)
    response = fire(rep, deal["id"], "submit")
    assert response.status_code == 200, response.json
    return deal["id"], response.json["_approval"]["id"]


def tasks_of(crm: Any, approval_id: int) -> list[dict[str, Any]]:
    tasks = table(crm, "mc_approval_tasks")
    with platform_of(crm).reading() as conn:
        return [dict(r) for r in conn.execute(sa.select(tasks).where(
            tasks.c.approval_id == approval_id).order_by(tasks.c.id)).mappings()]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def later(hours: float = 0, days: float = 0) -> datetime:
    """A moment after now (deadlines count from the real time a task was given)."""
    return datetime.now(UTC) + timedelta(hours=hours, days=days)
