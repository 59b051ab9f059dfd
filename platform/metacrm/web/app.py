"""The Flask application factory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..base.problems import Problem, TooManyRequests
from ..config import Settings
from ..i18n import message, negotiate_language
from ..platform import Platform
from ..program import ProgramCache
from ..ui import READING_PAGES, init_pages
from .api import api
from .approvals_api import approvals_api
from .connection import init_request_connections
from .credentials_api import credentials_api
from .dashboards_api import dashboards_api
from .designer_api import designer_api
from .duplicates_api import duplicates_api
from .export_api import export_api
from .identity_api import identity_api
from .imports_api import imports_api
from .intake_api import intake_api
from .jsonio import OrjsonProvider
from .login import login
from .meta_api import meta_api
from .notifications_api import notifications_api
from .pool_api import pool_api
from .report_builder_api import report_builder_api
from .report_subscriptions_api import report_subscriptions_api
from .reports_api import reports_api
from .requests import IdConverter, refuse_huge_ids
from .security_api import record_denied, security_api
from .transfer_api import transfer_api
from .views_api import views_api
from .workflow_api import workflow_api


def create_app(settings: Settings | None = None, platform: Platform | None = None,
               cache: ProgramCache | None = None) -> Flask:
    settings = settings or (platform.settings if platform else Settings.from_env())
    platform = platform or Platform.build(settings, cache=cache)
    # Our pages' styles (and any script) are files under web/static: the
    # Content-Security-Policy allows no inline code.
    app = Flask("metacrm", instance_path=settings.instance_path, static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # A bulk create of 1000 records is well under this; anything larger is refused
        # with 413 before it is read into memory.
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_NAME="metacrm_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
    )
    if settings.proxy_count:
        # Behind a reverse proxy the client's address is in X-Forwarded-For; sign-in
        # limits per address need the real one.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count,  # type: ignore[method-assign]
                                x_proto=settings.proxy_count)
    app.json = OrjsonProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.url_value_preprocessor(refuse_huge_ids)
    app.session_interface = CookieSessions()
    app.extensions["metacrm"] = platform
    app.register_blueprint(login)
    app.register_blueprint(meta_api)
    app.register_blueprint(designer_api)
    app.register_blueprint(report_builder_api)
    app.register_blueprint(identity_api)
    app.register_blueprint(credentials_api)
    app.register_blueprint(export_api)
    app.register_blueprint(imports_api)
    app.register_blueprint(reports_api)
    app.register_blueprint(report_subscriptions_api)
    app.register_blueprint(dashboards_api)
    app.register_blueprint(transfer_api)
    app.register_blueprint(duplicates_api)
    app.register_blueprint(pool_api)
    app.register_blueprint(workflow_api)
    app.register_blueprint(approvals_api)
    app.register_blueprint(notifications_api)
    app.register_blueprint(security_api)
    app.register_blueprint(views_api)
    app.register_blueprint(intake_api)
    app.register_blueprint(api)
    init_pages(app)
    _register_error_handlers(app)
    init_request_connections(app, api.name, approvals_api.name, reports_api.name,
                             *READING_PAGES)
    app.after_request(_security_headers)
    return app


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signer built once per set of keys: Flask
    builds a new one on every request, cookie or not, at a cost comparable to
    reading a record by id."""

    def __init__(self) -> None:
        self._signers: dict[tuple[object, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._signers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            if len(self._signers) > 8:  # keys changed at run time (tests): start again
                self._signers.clear()
            self._signers[keys] = found
        return found


# Scripts, styles and everything else only from this site, none inline and no eval: an
# injected <script> or style attribute does nothing. Nobody may frame a page
# (clickjacking), forms post only here, and no <base> or plugin can change either.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",  # a JSON or CSV answer is never run as a script
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # record URLs (ids, filters) stay on this site
    "Cross-Origin-Opener-Policy": "same-origin",
}


_SECURITY_NAMES = {name.lower(): (name, value) for name, value in SECURITY_HEADERS.items()}


def _security_headers(response: Response) -> Response:
    """Every answer, pages, API, errors and static files alike, carries them (unless it
    set its own). One pass over the answer's headers: ``Headers.setdefault`` scans them
    all again for each name, which cost more than a record's JSON."""
    present = {name.lower() for name, _ in response.headers.items()}
    headers = response.headers
    for key, (name, value) in _SECURITY_NAMES.items():
        if key not in present:
            headers.add(name, value)
    return response


# Refusals that go in the security record (web/security_api.py).
DENIED = (401, 403)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Any:
        lang = negotiate_language(request.headers.get("Accept-Language"))
        response = jsonify({"errors": problem.listed(lang), **problem.extra})
        response.status_code = problem.status
        if isinstance(problem, TooManyRequests):
            response.headers["Retry-After"] = str(problem.retry_after)
        if problem.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="metacrm"'
        if problem.status in DENIED:
            record_denied(problem.status, problem.errors)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        errors = {"_request": [exc.description or exc.name]}
        if exc.code in DENIED:
            record_denied(exc.code, errors)
        return jsonify({"errors": errors}), exc.code

    @app.errorhandler(sa.exc.OperationalError)
    def _database_unavailable(exc: sa.exc.OperationalError) -> Any:
        # A lost connection (a database restart: the pool is renewed after it) or
        # a lock wait that timed out; the transaction was rolled back, so the
        # client may simply retry.
        app.logger.warning("database unavailable: %s", exc.orig)
        text = message("database_unavailable",
                       negotiate_language(request.headers.get("Accept-Language")))
        response = jsonify({"errors": {"_request": [text]}})
        response.status_code = 503
        response.headers["Retry-After"] = "1"
        return response
