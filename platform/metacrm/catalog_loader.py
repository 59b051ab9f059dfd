"""The front half of the compiler: bundle folders in, a checked Catalog out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .collector import collector_paused
from .definitions import BundleDefs, Catalog
from .errors import ErrorCollector
from .fieldtypes import FieldTypes, builtin_field_types
from .load.bundles import customization_bundle, read_bundle
from .resolve.catalog import resolve_catalog


def load_catalog(paths: Sequence[str | Path],
                 customizations: Iterable[tuple[int, dict[str, Any]]] = (),
                 hooks: frozenset[str] = frozenset(),
                 field_types: FieldTypes | None = None) -> Catalog:
    """Load, validate, build and resolve; raises DefinitionError listing every problem.
    ``hooks`` are the plugins' "<plugin>.<hook>" names that definitions may call,
    ``field_types`` the types their fields may have (the built-in ones by default)."""
    with collector_paused():
        types = field_types if field_types is not None else builtin_field_types()
        return _load_catalog(paths, customizations, hooks, types)


def _load_catalog(paths: Sequence[str | Path],
                  customizations: Iterable[tuple[int, dict[str, Any]]],
                  hooks: frozenset[str], types: FieldTypes) -> Catalog:
    errors = ErrorCollector()
    bundles: list[BundleDefs] = []
    for path in paths:
        bundle = read_bundle(path, errors, types)
        if bundle is not None:
            bundles.append(bundle)
    stored = list(customizations)
    if stored:
        bundles.append(customization_bundle(stored, errors, types))
    catalog = resolve_catalog(bundles, errors, hooks, types)
    errors.raise_if_any()
    return catalog
