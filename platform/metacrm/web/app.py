"""The Flask application factory."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ..compile.tables import USERS_TABLE
from ..config import Settings
from ..platform import Platform
from ..runtime.problems import Problem
from .api import api
from .home import home
from .jsonio import OrjsonProvider
from .meta_api import meta_api

DEFAULT_USERNAME = "admin"


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> Flask:
    settings = settings or (platform.settings if platform else Settings.from_env())
    platform = platform or Platform.build(settings)
    app = Flask("metacrm", instance_path=settings.instance_path)
    app.config["SECRET_KEY"] = settings.secret_key
    # A bulk create of 1000 records is well under this; anything larger is refused
    # with 413 before it is read into memory.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json = OrjsonProvider(app)
    app.extensions["metacrm"] = platform
    app.extensions["metacrm.user"] = _default_user_resolver(platform)
    app.register_blueprint(home)
    app.register_blueprint(meta_api)
    app.register_blueprint(api)
    _register_error_handlers(app)
    return app


def _default_user_resolver(platform: Platform) -> Any:
    """Until authentication exists, requests act as the built-in admin user."""
    cache: dict[str, int | None] = {}

    def resolve() -> int | None:
        if "id" not in cache:
            users = platform.compiled.metadata.tables[USERS_TABLE]
            with platform.reading() as conn:
                cache["id"] = conn.execute(sa.select(users.c.id).where(
                    users.c.username == DEFAULT_USERNAME)).scalar()
        return cache["id"]

    return resolve


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Any:
        return jsonify({"errors": problem.errors}), problem.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        return jsonify({"errors": {"_request": [exc.description or exc.name]}}), exc.code
