"""Production settings refuse to start without their secrets and pass check --deploy."""

import os
import subprocess
import sys

import pytest

from tests.conftest import BASE_DIR

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k7#pV2!qz9@LrX4$wN8^bT1&cY6*hJ3(mF5)dS0_gA-eU+iO=lK",
    "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    "DATABASE_URL": "sqlite:////tmp/lightblog-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "JWT_SIGNING_KEY": "Qm7^tR2!vX9@kL4$pZ8&wN1*dF6(hJ3)sB0_cG5-yE+uA=oI#e",
}


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "JWT_SIGNING_KEY",
    ],
)
def test_production_refuses_to_start_without_secret(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}

    result = run_manage(env, "check")

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_passes_check_deploy() -> None:
    result = run_manage(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_mysql_url_gets_utf8mb4_and_persistent_checked_connections() -> None:
    from config.settings.base import database_from_url

    config = database_from_url("mysql://root@127.0.0.1:3306/test")

    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert config["CONN_MAX_AGE"] > 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_sqlite_url_gets_wal_immediate_transactions_and_busy_timeout() -> None:
    from config.settings.base import database_from_url

    options = database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]

    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
