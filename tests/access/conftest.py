"""A sales organisation on the shipped CRM: people with roles, teams and a
reporting line, each with an API token; and helpers to act as them."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import token_for


class Person:
    """A user of the CRM with a signed-in test client."""

    def __init__(self, crm: Any, username: str, token: str):
        self.username = username
        self._crm = crm
        self._auth = {"Authorization": f"Bearer {token}"}
        self.id: int | None = None

    def get(self, url: str, **kw: Any) -> Any:
        return self._crm.get(url, headers={**self._auth, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self._crm.post(url, headers={**self._auth, **kw.pop("headers", {})}, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self._crm.patch(url, headers={**self._auth, **kw.pop("headers", {})}, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self._crm.delete(url, headers={**self._auth, **kw.pop("headers", {})}, **kw)

    def ids(self, url: str) -> list[int]:
        response = self.get(url)
        assert response.status_code == 200, (url, response.json)
        return sorted(item["id"] for item in response.json["items"])


def user_id(crm: Any, username: str) -> int:
    from metacrm.identity.users import find_user

    platform = crm.application.extensions["metacrm"]
    with platform.reading() as conn:
        found = find_user(conn, platform.compiled.metadata, username)
    assert found is not None
    return found.id


def person(crm: Any, username: str, **kwargs: Any) -> Person:
    token = token_for(crm.application, username, **kwargs)
    who = Person(crm, username, token)
    who.id = user_id(crm, username)
    return who


@pytest.fixture
def org(crm) -> dict[str, Person]:  # type: ignore[no-untyped-def]
    """Director over two managers (teams east and west), each over salespeople;
    a service agent, finance and an auditor."""
    people = {
        "director": person(crm, "director", roles=("sales_director",)),
        "east_boss": person(crm, "east_boss", roles=("sales_manager",), team="east",
                            manager="director"),
        "west_boss": person(crm, "west_boss", roles=("sales_manager",), team="west",
                            manager="director"),
    }
    people["wang"] = person(crm, "wang", roles=("salesperson",), team="east", manager="east_boss")
    people["liu"] = person(crm, "liu", roles=("salesperson",), team="east", manager="east_boss")
    people["yang"] = person(crm, "yang", roles=("salesperson",), team="west", manager="west_boss")
    people["service"] = person(crm, "service", roles=("service_agent",))
    people["finance"] = person(crm, "finance", roles=("finance",))
    people["auditor"] = person(crm, "auditor", roles=("auditor",))
    people["nobody"] = person(crm, "nobody")
    return people


def create(who: Any, entity: str, **values: Any) -> int:
    response = who.post(f"/api/{entity}", json=values)
    assert response.status_code == 201, response.json
    return int(response.json["id"])
