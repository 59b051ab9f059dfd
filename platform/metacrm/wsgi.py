"""WSGI entry point for production: ``gunicorn 'metacrm.wsgi:app'``.

Run ``metacrm migrate`` first; the app serves whatever schema the database has.
Without Redis (and unless METACRM_RUN_JOBS=0) each server process also ticks the
scheduled jobs; their slots in the database let one process run each due task.
"""

from __future__ import annotations

import atexit

from .jobs.scheduler import start_in_process
from .web.app import create_app

app = create_app()
scheduler = start_in_process(app.extensions["metacrm"])
if scheduler is not None:
    atexit.register(scheduler.stop)
