"""WSGI entry point for production: ``gunicorn 'metacrm.wsgi:app'``.

Run ``metacrm migrate`` first; the app serves whatever schema the database has.
"""

from __future__ import annotations

from .web.app import create_app

app = create_app()
