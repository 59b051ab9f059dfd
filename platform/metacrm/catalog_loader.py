"""The front half of the compiler: bundle folders in, a checked Catalog out."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .bundles import customization_bundle, read_bundle
from .definitions import BundleDefs, Catalog
from .errors import ErrorCollector
from .resolve import resolve_catalog


def load_catalog(paths: Sequence[str | Path],
                 customizations: Iterable[tuple[int, dict[str, Any]]] = (),
                 hooks: frozenset[str] = frozenset()) -> Catalog:
    """Load, validate, build and resolve; raises DefinitionError listing every problem.
    ``hooks`` are the plugins' "<plugin>.<hook>" names that definitions may call."""
    with _collector_paused():
        return _load_catalog(paths, customizations, hooks)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Compiling allocates many small long-lived objects and no cycles worth
    # collecting; the cyclic GC would spend a fifth of the time walking them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
