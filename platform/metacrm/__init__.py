"""metacrm: a low-code CRM compiled from YAML definitions."""

from __future__ import annotations

from .catalog_loader import load_catalog as load_catalog
from .config import Settings as Settings
from .errors import DefinitionError as DefinitionError
from .platform import Platform as Platform

__all__ = ["DefinitionError", "Platform", "Settings", "create_app", "load_catalog"]


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Build the Flask app (imported lazily: the engine's pure layers need no Flask)."""
    from .web.app import create_app as _create_app

    return _create_app(*args, **kwargs)
