"""Realistic, bilingual demo data for the shipped CRM (see ``generate.fill_demo``)."""

from __future__ import annotations

from .generate import fill_demo as fill_demo

__all__ = ["fill_demo"]
