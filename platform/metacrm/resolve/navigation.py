"""Check the pages' navigation a bundle declares: every entity it names exists and
sits under one heading only."""

from __future__ import annotations

from ..definitions import Catalog
from ..errors import ErrorCollector, did_you_mean


def check_navigation(catalog: Catalog, errors: ErrorCollector) -> None:
    placed: dict[str, str] = {}
    for group in catalog.navigation:
        heading = group.label.get("en")
        for index, name in enumerate(group.entities):
            where = group.at(index)
            if name not in catalog.entities:
                errors.add(where, f"navigation '{heading}': unknown entity '{name}'"
                           f"{did_you_mean(name, catalog.entities)}")
            elif name in placed:
                errors.add(where, f"navigation '{heading}': entity '{name}' is already "
                           f"under '{placed[name]}'; list it once")
            else:
                placed[name] = heading
