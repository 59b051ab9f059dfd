"""The OpenAPI document names the server from configuration (METACRM_PUBLIC_URL),
or relatively ("/"), never from the request's Host header: a client chooses that
header, and a document cached or shared must not send others to its host."""

from __future__ import annotations

import dataclasses

import pytest

from metacrm.config import Settings
from metacrm.web.app import create_app

from ..conftest import admin_client


def test_without_a_public_url_the_server_is_relative_whatever_the_host(crm) -> None:
    for host in ("localhost", "evil.example.net", "crm.example.com:8443"):
        doc = crm.get("/api/openapi.json", headers={"Host": host}).json
        assert doc["servers"] == [{"url": "/"}]


def test_the_public_url_is_the_server(crm) -> None:
    platform = crm.application.extensions["metacrm"]
    settings = dataclasses.replace(platform.settings, public_url="https://crm.example.com")
    app = create_app(settings)
    try:
        doc = admin_client(app).get("/api/openapi.json",
                                    headers={"Host": "evil.example.net"}).json
        assert doc["servers"] == [{"url": "https://crm.example.com"}]
    finally:
        app.extensions["metacrm"].engine.dispose()


def test_the_public_url_is_read_from_the_environment(tmp_path) -> None:
    base = {"METACRM_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(base).public_url is None
    read = Settings.from_env({**base, "METACRM_PUBLIC_URL": "https://crm.example.com/crm/"})
    assert read.public_url == "https://crm.example.com/crm"
    for wrong in ("crm.example.com", "ftp://crm.example.com", "https://", "https://x/?a=1"):
        with pytest.raises(ValueError, match="METACRM_PUBLIC_URL must be an http"):
            Settings.from_env({**base, "METACRM_PUBLIC_URL": wrong})
