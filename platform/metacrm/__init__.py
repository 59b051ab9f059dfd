"""metacrm: a low-code CRM compiled from YAML definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog_loader import load_catalog as load_catalog
from .config import Settings as Settings
from .errors import DefinitionError as DefinitionError
from .platform import Platform as Platform

if TYPE_CHECKING:
    from flask import Flask

    from .program import ProgramCache

__all__ = ["DefinitionError", "Platform", "Settings", "create_app", "load_catalog"]


def create_app(settings: Settings | None = None, platform: Platform | None = None,
               cache: ProgramCache | None = None) -> Flask:
    """Build the Flask app (imported lazily: the engine's pure layers need no Flask)."""
    from .web.app import create_app as _create_app

    return _create_app(settings, platform, cache)
