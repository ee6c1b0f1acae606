"""The OpenAPI schema at /api/schema/ and Swagger UI at /api/docs/, served offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_and_lists_the_token_endpoints(api_client) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/auth/token/", "/api/auth/token/refresh/"} <= set(schema["paths"])


def test_swagger_ui_loads_its_assets_from_this_site(api_client) -> None:
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', page)
    assert assets, page
    for asset in assets:
        # Nothing from a CDN: every script and stylesheet is one of our static files.
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "/api/schema/" in page


def test_spectacular_validate_fail_on_warn_passes() -> None:
    """What CI runs: the schema is valid OpenAPI and generating it warns of nothing."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            "/dev/null",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr, result.stderr
