"""Plugins that ship with metacrm: each module is one plugin, named in METACRM_PLUGINS as
``plugins.<module>:plugin`` (the repository root on the Python path)."""
