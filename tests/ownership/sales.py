"""A sales organisation and its book of business, for the transfer and export tests:
a director, two team managers and their salespeople, customers with open and
closed opportunities and planned and done follow-ups, and ways to look at
records and the audit trail behind the API's back."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..access.conftest import Person, create, person
from ..conftest import create_as_platform

OPEN, WON = "qualify", "won"


def sales_org(crm: Any) -> dict[str, Person]:
    """director; east_boss over wang and liu (team east); west_boss over yang (west)."""
    return {
        "director": person(crm, "director", roles=("sales_director",)),
        "east_boss": person(crm, "east_boss", roles=("sales_manager",), team="east"),
        "west_boss": person(crm, "west_boss", roles=("sales_manager",), team="west"),
        "wang": person(crm, "wang", roles=("salesperson",), team="east"),
        "liu": person(crm, "liu", roles=("salesperson",), team="east"),
        "yang": person(crm, "yang", roles=("salesperson",), team="west"),
    }


@dataclass
class Book:
    """Ids of the records ``book`` creates."""

    star: int           # wang's customer 上海星河贸易有限公司
    river: int          # wang's second customer
    liu_customer: int
    yang_customer: int
    open_opp: int       # on star, wang's, open: moves with star
    won_opp: int        # on star, wang's, closed: stays
    liu_opp: int        # on star, open but liu's: stays
    river_opp: int      # on river, wang's, open
    planned: int        # on star, wang's, planned: moves with star
    done: int           # on star, wang's, done: stays
    liu_planned: int    # on star, planned but liu's: stays


def book(crm: Any, org: dict[str, Person]) -> Book:
    """Records held by wang, liu and yang, created by the administrator."""
    wang, liu = org["wang"].id, org["liu"].id

    def customer(name: str, owner: int | None) -> int:
        return create(crm, "customer", name=name, lifecycle="lead", owner=owner)

    def opportunity(customer: int, owner: int | None, stage: str) -> int:
        # Only transitions move a stage: the book is written as a data import would be.
        return create_as_platform(crm, "opportunity", name=f"商机 {stage}", customer=customer,
                                  owner=owner, stage=stage, amount="10000")

    def activity(customer: int, owner: int | None, status: str) -> int:
        return create(crm, "activity", subject=f"电话回访 {status}", customer=customer,
                      owner=owner, status=status)

    star = customer("上海星河贸易有限公司", wang)
    river = customer("杭州江南丝绸有限公司", wang)
    return Book(
        star=star, river=river,
        liu_customer=customer("苏州园林设计院", liu),
        yang_customer=customer("北京长城机械厂", org["yang"].id),
        open_opp=opportunity(star, wang, OPEN), won_opp=opportunity(star, wang, WON),
        liu_opp=opportunity(star, liu, "proposal"), river_opp=opportunity(river, wang,
                                                                         "negotiation"),
        planned=activity(star, wang, "planned"), done=activity(star, wang, "done"),
        liu_planned=activity(star, liu, "planned"),
    )


def transfer(who: Any, entity: str = "customer", **body: Any) -> Any:
    """POST a transfer (a preview unless ``preview=False`` is given)."""
    return who.post(f"/api/{entity}/transfer", json={"preview": True, **body})


def record(crm: Any, entity: str, record_id: int) -> dict[str, Any]:
    response = crm.get(f"/api/{entity}/{record_id}")
    assert response.status_code == 200, response.json
    return response.json


def owners(crm: Any, entity: str, ids: list[int]) -> dict[int, int | None]:
    return {i: record(crm, entity, i)["owner"] for i in ids}


def audit_trail(crm: Any, action: str = "transfer") -> list[dict[str, Any]]:
    """Every audit row of ``action``, oldest first."""
    platform = crm.application.extensions["metacrm"]
    audit = platform.compiled.metadata.tables["mc_audit"]
    with platform.reading() as conn:
        rows = conn.execute(sa.select(audit).where(audit.c.action == action)
                            .order_by(audit.c.id)).mappings().all()
    return [dict(row) for row in rows]


def deactivate(crm: Any, user_id: int) -> None:
    from metacrm.identity.users import set_active

    platform = crm.application.extensions["metacrm"]
    with platform.writing() as conn:
        set_active(conn, platform.compiled.metadata, user_id, False)


def csv_rows(response: Any) -> list[dict[str, str]]:
    """An exported CSV body as dicts, after checking it starts with the UTF-8 BOM."""
    assert response.status_code == 200, response.data[:300]
    assert response.data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
