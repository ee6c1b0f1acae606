"""Production settings refuse to start without their secrets and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import BASE_DIR

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k7#pV2!qz9@LrX4$wN8^bT1&cY6*hJ3(mF5)dS0_gA-eU+iO=lK",
    "DJANGO_ALLOWED_HOSTS": "blog.example.com",
    "DATABASE_URL": "sqlite:////tmp/lightblog-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "JWT_SIGNING_KEY": "Qm7^tR2!vX9@kL4$pZ8&wN1*dF6(hJ3)sB0_cG5-yE+uA=oI#e",
    "SITE_URL": "https://blog.example.com",
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


# NO FOLDER AT IMPORT
# ------------------------------------------------------------------------------
# Imports a settings module with os.mkdir (which Path.mkdir and os.makedirs call)
# recording, and prints what was made.
IMPORT_SETTINGS = """
import importlib, os, sys
made = []
real_mkdir = os.mkdir
def recording_mkdir(path, *args, **kwargs):
    made.append(str(path))
    return real_mkdir(path, *args, **kwargs)
os.mkdir = recording_mkdir
importlib.import_module(sys.argv[1])
print("made:", made)
"""


@pytest.mark.parametrize("name", ["local", "test", "production"])
def test_importing_settings_creates_no_folder(name: str, tmp_path) -> None:
    var_dir = tmp_path / "var"
    env = {"LIGHTBLOG_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": f"config.settings.{name}"}
    if name == "production":
        # The embedded database and broker, whose folders would be under var_dir.
        env |= {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://localhost//",
        }
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}

    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS, f"config.settings.{name}"],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "made: []" in result.stdout
    assert not var_dir.exists()


def test_migrate_on_a_fresh_checkout_creates_the_sqlite_folder(tmp_path) -> None:
    var_dir = tmp_path / "fresh" / "var"

    result = run_manage(
        {"DJANGO_SETTINGS_MODULE": "config.settings.local", "LIGHTBLOG_VAR_DIR": str(var_dir)},
        "migrate",
        "--verbosity",
        "0",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (var_dir / "db.sqlite3").is_file()


def test_filesystem_broker_creates_its_folders_when_it_connects(tmp_path, monkeypatch) -> None:
    from kombu import Connection

    from config.filesystem_broker import Transport
    from config.settings.components import celery as celery_settings

    monkeypatch.setattr(celery_settings, "VAR_DIR", tmp_path / "var")
    options = celery_settings.broker_transport_options("filesystem://localhost//")
    keys = ("data_folder_in", "processed_folder", "control_folder")
    folders = [Path(options[key]) for key in keys]
    assert not any(folder.exists() for folder in folders)

    with Connection("filesystem://", transport=Transport, transport_options=options) as conn:
        conn.channel()

    assert all(folder.is_dir() for folder in folders)


def test_static_root_is_made_at_start_up_unless_collectstatic_fills_it(tmp_path) -> None:
    from config.apps import make_runtime_folders

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    manifest = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    for name, storage in (("plain", plain), ("manifest", manifest)):
        with override_settings(
            STATIC_ROOT=tmp_path / name, STORAGES={**settings.STORAGES, "staticfiles": storage}
        ):
            make_runtime_folders()

    assert (tmp_path / "plain").is_dir()
    assert not (tmp_path / "manifest").exists()


def test_sqlite_folders_are_those_of_the_database_files_only() -> None:
    from config.apps import sqlite_folders

    databases = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": "/srv/a/db.sqlite3",
            "TEST": {"NAME": "/srv/b/test.sqlite3"},
        },
        "memory": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "uri": {"ENGINE": "django.db.backends.sqlite3", "NAME": "file:x?mode=memory"},
        "mysql": {"ENGINE": "django.db.backends.mysql", "NAME": "/srv/c/not-a-file"},
    }

    assert sqlite_folders(databases) == {Path("/srv/a"), Path("/srv/b")}


# HSTS AND THE API'S SIGNING KEY
# ------------------------------------------------------------------------------
PRINT_SECURITY = (
    "from django.conf import settings; "
    "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD, "
    "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
)


def production_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_SECURITY}"],
        cwd=BASE_DIR,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_hsts_is_a_year_without_preload_by_default() -> None:
    result = production_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "False", "True"]


def test_production_hsts_is_lowered_and_preloaded_only_when_the_operator_says() -> None:
    result = production_settings(DJANGO_SECURE_HSTS_SECONDS="300", DJANGO_SECURE_HSTS_PRELOAD="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["300", "True", "True"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("x", "JWT_SIGNING_KEY has 1 characters"),
        ("abcde" * 9, "JWT_SIGNING_KEY has 45 characters"),
        ("a" * 60, "(1 different)"),
        ("insecure-local-jwt-key-never-use-in-production-" + "z" * 10, "local default"),
    ],
)
def test_production_refuses_to_start_with_a_weak_jwt_signing_key(key: str, message: str) -> None:
    result = run_manage({**PRODUCTION_ENV, "JWT_SIGNING_KEY": key}, "check")

    assert result.returncode != 0
    assert message in result.stderr
    if len(key) > 20:
        assert key not in result.stderr  # the key itself is never printed


@pytest.mark.parametrize(
    "key", ["", "short", "insecure-local-jwt-key-never-use-in-production", "b" * 80]
)
def test_check_deploy_refuses_a_weak_jwt_signing_key(key: str) -> None:
    from config.checks import jwt_signing_key

    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": key}):
        errors = jwt_signing_key(None)

    assert [error.id for error in errors] == ["config.E001"]


def test_check_deploy_accepts_a_long_random_jwt_signing_key() -> None:
    from config.checks import jwt_signing_key

    key = PRODUCTION_ENV["JWT_SIGNING_KEY"]
    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": key}):
        assert jwt_signing_key(None) == []


def test_check_deploy_reports_the_local_default_key() -> None:
    """The test settings use the local default: `check --deploy` says so."""
    result = run_manage({"DJANGO_SETTINGS_MODULE": "config.settings.test"}, "check", "--deploy")

    assert result.returncode != 0
    assert "config.E001" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("site_url", "problem"),
    [
        ("http://127.0.0.1:8000", "not an https:// address"),
        ("https://elsewhere.example.net", "not in DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_check_deploy_refuses_a_site_url_that_is_not_the_public_address(site_url, problem):
    result = run_manage({**PRODUCTION_ENV, "SITE_URL": site_url}, "check", "--deploy")

    assert result.returncode != 0
    assert "config.E003" in result.stderr
    assert problem in result.stderr
