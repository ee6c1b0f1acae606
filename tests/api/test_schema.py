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


def get_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_openapi_3_and_lists_every_endpoint(api_client) -> None:
    schema = get_schema(api_client)

    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/auth/token/",
        "/api/auth/token/refresh/",
        "/api/posts/",
        "/api/posts/{slug}/",
        "/api/posts/{slug}/comments/",
        "/api/comments/{id}/",
        "/api/comments/{id}/approve/",
        "/api/comments/{id}/hide/",
        "/api/comments/{id}/restore/",
        "/api/tags/",
        "/api/reminders/",
        "/api/reminders/{id}/",
        "/api/reminders/{id}/send-now/",
        "/api/reminders/{id}/send-again/",
        "/api/reminders/{id}/cancel/",
    }
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_schema_says_which_operations_need_no_token(api_client) -> None:
    paths = get_schema(api_client)["paths"]

    assert {} in paths["/api/posts/"]["get"]["security"]
    assert {} in paths["/api/posts/{slug}/comments/"]["get"]["security"]
    assert {} not in paths["/api/posts/"]["post"]["security"]
    assert {} not in paths["/api/reminders/"]["get"]["security"]
    assert "security" not in paths["/api/auth/token/"]["post"]


def test_delivery_fields_are_read_only_in_the_schema(api_client) -> None:
    schemas = get_schema(api_client)["components"]["schemas"]

    assert set(schemas["ReminderInputRequest"]["properties"]) == {
        "email",
        "text",
        "date",
        "subject",
    }
    for field in ("status", "attempts", "last_error", "sent_at", "enqueued_at"):
        assert schemas["Reminder"]["properties"][field]["readOnly"] is True


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
    # The page's own script is served apart (no inline script under the CSP), and it
    # points Swagger UI at the schema.
    assert '<script src="/api/docs/?script="></script>' in page
    assert "/api/schema/" in api_client.get("/api/docs/?script=").content.decode()


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
