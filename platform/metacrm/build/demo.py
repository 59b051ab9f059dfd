"""Build a bundle's demo organisation from its schema-valid ``demo:`` document."""

from __future__ import annotations

from typing import Any

from ..definitions import DemoDef, DemoPersonDef, Label
from ..errors import ErrorCollector, did_you_mean
from ..load.documents import Document

DEMO_KIND = "demo"


def build_demo(doc: Document, bundle: str, errors: ErrorCollector) -> DemoDef:
    """The demo; a manager or team that names nobody in the document, or a username
    given twice, is an error at its line."""
    data = doc.data
    administrator = _person(doc, data["administrator"], ("administrator",))
    people = tuple(_person(doc, item, ("people", i))
                   for i, item in enumerate(data.get("people", [])))
    teams = dict(data.get("teams", {}))
    seen: set[str] = set()
    for i, person in enumerate((administrator, *people)):
        path: tuple[Any, ...] = ("administrator",) if i == 0 else ("people", i - 1)
        if person.username in seen:
            errors.add(doc.at(*path, "username"),
                       f"'{person.username}' is in the demo twice: usernames are unique")
        seen.add(person.username)
    usernames = [p.username for p in (administrator, *people)]
    for i, person in enumerate(people):
        if person.manager is not None and person.manager not in usernames:
            errors.add(doc.at("people", i, "manager"),
                       f"manager '{person.manager}' is not a person of this demo"
                       f"{did_you_mean(person.manager, usernames)}")
        if person.manager == person.username:
            errors.add(doc.at("people", i, "manager"),
                       f"'{person.username}' cannot be their own manager")
        if person.team is not None and person.team not in teams:
            errors.add(doc.at("people", i, "team"),
                       f"team '{person.team}' is not among the demo's teams"
                       f"{did_you_mean(person.team, list(teams))}; declare it under teams:")
    return DemoDef(name=data[DEMO_KIND], administrator=administrator,
                   generator=data["generator"], label=Label.of(data.get("label")),
                   teams=teams, people=people,
                   requests_per_approval=int(data.get("requests_per_approval", 2)),
                   bundle=bundle, location=doc.key_at(DEMO_KIND))


def _person(doc: Document, data: dict[str, Any], path: tuple[Any, ...]) -> DemoPersonDef:
    return DemoPersonDef(username=data["username"], name=data["name"],
                         roles=tuple(data.get("roles", ())), team=data.get("team"),
                         manager=data.get("manager"),
                         holds_records=bool(data.get("holds_records", False)),
                         location=doc.at(*path),
                         role_locations=tuple(doc.at(*path, "roles", i)
                                              for i in range(len(data.get("roles", ())))))
