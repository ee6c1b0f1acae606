"""Production shares its cache between web processes, and refuses a per-process one.

Under gunicorn with two workers and production settings, the limits count once for the
site whatever worker answers: six failed logins in a row lock the account, and the API's
throttle lets its rate through once, not once per worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from config.checks import PRODUCTION_CACHE_URL
from tests.config.test_settings import PRODUCTION_ENV, run_manage
from tests.conftest import BASE_DIR
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import serving

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(url: str, data: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(data).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, {"detail": body.decode(errors="replace")[:500]}


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def production_env(subprocess_env) -> dict[str, str]:
    """Production settings on this test's database, served over plain HTTP."""
    base = subprocess_env()
    env = {
        **base,
        **PRODUCTION_ENV,
        "DATABASE_URL": base["DATABASE_URL"],
        "CELERY_BROKER_URL": base["CELERY_BROKER_URL"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "EMAIL_URL": "consolemail://",
        "API_THROTTLE_ANON": "5/minute",
        "DJANGO_SETTINGS_MODULE": "tests.security.production_settings",
    }
    env.pop("CACHE_URL", None)
    # The deploy step that makes the database cache's table.
    result = subprocess.run(
        [sys.executable, "manage.py", "createcachetable"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return env


def test_under_two_gunicorn_workers_the_limits_count_once(production_env, log_dir) -> None:
    UserFactory(username="target")
    with serving("gunicorn", production_env, log_dir, workers=2) as url:
        token_url = url + "/api/auth/token/"
        answers = [
            post_json(token_url, {"username": "target", "password": f"guess {n}"})[0]
            for n in range(6)
        ]
        status, body = post_json(token_url, {"username": "target", "password": DEFAULT_PASSWORD})
        throttled = [get_status(url + "/api/tags/") for _ in range(10)]

    # Five failures lock the account (the fifth already answers the lockout), whichever
    # worker counted each; the right password is then refused too.
    assert answers[:4] == [401] * 4
    assert answers[4:] == [429, 429]
    assert status == 429
    assert "this account is locked" in body["detail"]
    # Five anonymous requests a minute for the site, not five per worker.
    assert throttled.count(200) == 5
    assert throttled.count(429) == 5


def test_production_uses_the_database_cache_by_default() -> None:
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "CACHE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**clean, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.db.DatabaseCache"
    assert PRODUCTION_CACHE_URL.startswith("dbcache://")


@pytest.mark.parametrize("cache_url", ["locmemcache://", "dummycache://"])
def test_production_refuses_to_start_with_a_per_process_cache(cache_url) -> None:
    result = run_manage({**PRODUCTION_ENV, "CACHE_URL": cache_url}, "check")

    assert result.returncode != 0
    assert "one per process: set CACHE_URL to a shared cache" in result.stderr


def test_check_deploy_reports_a_per_process_cache_under_any_settings() -> None:
    # The test settings keep the local-memory cache; check --deploy says what is wrong.
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "CACHE_URL": "locmemcache://"}

    result = run_manage(env, "check", "--deploy", "--tag", "caches")

    assert result.returncode != 0
    assert "config.E010" in result.stderr
