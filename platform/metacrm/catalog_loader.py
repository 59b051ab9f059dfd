"""The front half of the compiler: bundle folders in, a checked Catalog out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .collector import collector_paused
from .definitions import BundleDefs, Catalog
from .errors import ErrorCollector
from .load.bundles import customization_bundle, read_bundle
from .resolve.catalog import resolve_catalog


def load_catalog(paths: Sequence[str | Path],
                 customizations: Iterable[tuple[int, dict[str, Any]]] = (),
                 hooks: frozenset[str] = frozenset()) -> Catalog:
    """Load, validate, build and resolve; raises DefinitionError listing every problem.
    ``hooks`` are the plugins' "<plugin>.<hook>" names that definitions may call."""
    with collector_paused():
        return _load_catalog(paths, customizations, hooks)


def _load_catalog(paths: Sequence[str | Path],
                  customizations: Iterable[tuple[int, dict[str, Any]]],
                  hooks: frozenset[str]) -> Catalog:
    errors = ErrorCollector()
    bundles: list[BundleDefs] = []
    for path in paths:
        bundle = read_bundle(path, errors)
        if bundle is not None:
            bundles.append(bundle)
    stored = list(customizations)
    if stored:
        bundles.append(customization_bundle(stored, errors))
    catalog = resolve_catalog(bundles, errors, hooks)
    errors.raise_if_any()
    return catalog
