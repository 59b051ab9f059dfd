"""Check a demo organisation against the merged catalog: its people's roles exist."""

from __future__ import annotations

from collections.abc import Iterable

from ..definitions import BundleDefs, Catalog, DemoDef
from ..errors import ErrorCollector, did_you_mean


def pick_demo(bundles: Iterable[BundleDefs]) -> DemoDef | None:
    """The demo of the last bundle that declares one: a template on top of the CRM
    brings its own organisation."""
    return next((b.demo for b in reversed(list(bundles)) if b.demo is not None), None)


def check_demo(catalog: Catalog, errors: ErrorCollector) -> None:
    demo = catalog.demo
    if demo is None:
        return
    for person in (demo.administrator, *demo.people):
        for role, where in zip(person.roles, person.role_locations, strict=True):
            if role not in catalog.roles:
                errors.add(where, f"demo user '{person.username}': unknown role "
                           f"'{role}'{did_you_mean(role, list(catalog.roles))}")
