"""The web pages people use, generated from the definitions.

Every page reads and writes through the same engine calls as the REST API
(permissions, record scopes, hidden fields, validation), so a page can never
show or accept what the API would refuse. Texts are gettext messages
(Flask-Babel, catalogs under metacrm/translations); record values and labels
come from the definitions in the viewer's language.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

from . import (  # noqa: F401  (their routes join the blueprint)
    board_page,
    dashboard_page,
    delegation_page,
    designer_page,
    duplicates_pages,
    edit_pages,
    import_page,
    inbox_pages,
    list_page,
    notifications_page,
    pool_page,
    record_page,
    recycle_page,
    report_builder_page,
    report_pages,
    search_page,
    start_page,
)
from .blueprint import pages as blueprint
from .fragments import kept_url_for
from .language import babel_locale, install_page_gettext

# The pages that only read (through open_entity_page, or the list's count): they run on
# the connection and in the transaction authentication began (web/connection.py), one
# connection and one transaction per page as for the API, not two.
READING_PAGES = tuple(f"{blueprint.name}.{name}" for name in (
    "list_page", "list_count", "record_page", "board", "pool_page", "recycle_bin"))


def init_pages(app: Flask) -> None:
    Babel(app, locale_selector=babel_locale)
    install_page_gettext(app)
    app.jinja_env.globals["url_for"] = kept_url_for
    app.register_blueprint(blueprint)
