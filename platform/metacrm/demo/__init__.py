"""Realistic, bilingual demo data for the shipped CRM (see ``generate.fill_demo``).

The engine never imports this package: the shipped bundle's ``demo/organisation.yaml``
names ``plugin`` as its generator, and the engine loads it as a plugin.
"""

from __future__ import annotations

from .generate import fill_demo as fill_demo
from .plugin import plugin as plugin

__all__ = ["fill_demo", "plugin"]
