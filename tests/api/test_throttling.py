"""DRF throttling: anonymous and authenticated clients are limited, answering 429."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.throttling import ClientIPMixin, ScopedRateThrottle
from tests.conftest import BASE_DIR

from .conftest import client_for

pytestmark = pytest.mark.django_db


def limit(scope: str) -> int:
    return int(api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")[0])


def test_anonymous_clients_get_429_past_the_configured_rate(api_client) -> None:
    for _ in range(limit("anon")):
        assert api_client.get("/api/tags/").status_code == 200

    response = api_client.get("/api/tags/")

    assert response.status_code == 429
    assert response.data["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0


def test_each_user_has_their_own_allowance(users, monkeypatch) -> None:
    # The configured rate (600 a minute) would make a slow test; the counting is the same.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    poster, other = client_for(users["poster"]), client_for(users["default"])
    for _ in range(3):
        assert poster.get("/api/posts/").status_code == 200

    assert poster.get("/api/posts/").status_code == 429
    assert poster.post("/api/posts/", {"title": "x", "text": "y"}).status_code == 429
    assert other.get("/api/posts/").status_code == 200


def settings_in_subprocess(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` in a new interpreter with ``env``: settings
    are read from the environment once, at import."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rates_and_token_lifetime_come_from_the_environment() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], s.REST_FRAMEWORK['PAGE_SIZE'], "
        "s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "API_THROTTLE_ANON": "7/minute",
        "API_THROTTLE_USER": "70/hour",
        "API_THROTTLE_TOKEN": "2/minute",
        "API_PAGE_SIZE": "25",
        "JWT_ACCESS_TOKEN_MINUTES": "5",
    }

    result = settings_in_subprocess(code, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "{'anon':",
        "'7/minute',",
        "'user':",
        "'70/hour',",
        "'token':",
        "'2/minute'}",
        "25",
        "300.0",
    ]


def test_one_trusted_proxy_setting_feeds_drf_allauth_and_the_lockout() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], "
        "s.ALLAUTH_TRUSTED_PROXY_COUNT, s.AXES_CLIENT_IP_CALLABLE)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TRUSTED_PROXY_COUNT": "2",
    }

    result = settings_in_subprocess(code, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "2", "2", "config.client_ip.client_ip"]


def test_the_throttles_key_on_the_client_ip_function() -> None:
    classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]

    assert all(issubclass(cls, ClientIPMixin) for cls in classes)
