"""The front half of the compiler: bundle folders in, a checked Catalog out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from .bundles import customization_bundle, read_bundle
from .definitions import BundleDefs, Catalog
from .errors import ErrorCollector
from .resolve import resolve_catalog


def load_catalog(paths: Sequence[str | Path],
                 customizations: Iterable[tuple[int, dict[str, Any]]] = ()) -> Catalog:
    """Load, validate, build and resolve; raises DefinitionError listing every problem."""
    errors = ErrorCollector()
    bundles: list[BundleDefs] = []
    for path in paths:
        bundle = read_bundle(path, errors)
        if bundle is not None:
            bundles.append(bundle)
    stored = list(customizations)
    if stored:
        bundles.append(customization_bundle(stored, errors))
    catalog = resolve_catalog(bundles, errors)
    errors.raise_if_any()
    return catalog
