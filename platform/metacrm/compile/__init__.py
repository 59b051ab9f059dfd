"""Compilers from a resolved Catalog to runtime artifacts (tables, schemas)."""
