"""The system checks on the REMINDERS_* settings: each bad value is an Error naming both
settings, the defaults give none, and ``manage.py check`` fails on a bad environment."""

import os
import subprocess
import sys

import pytest
from django.core.checks import Error
from django.test import override_settings

from config.settings.components import celery as celery_defaults
from config.settings.components import reminders as reminder_defaults
from reminders import checks
from tests.conftest import BASE_DIR

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/0"
FILESYSTEM = "filesystem://localhost//"


def all_problems() -> list[Error]:
    return [
        *checks.reminder_time_limits(None),
        *checks.reminder_broker_timeouts(None),
        *checks.reminder_sizes(None),
        *checks.beat_lease(None),
    ]


def the_error(check_id: str) -> Error:
    """The one problem found, which must be ``check_id``."""
    problems = all_problems()
    assert [problem.id for problem in problems] == [check_id], problems
    assert isinstance(problems[0], Error)
    return problems[0]


DEFAULTS = {
    name: getattr(module, name)
    for module in (celery_defaults, reminder_defaults)
    for name in dir(module)
    if name.startswith(("REMINDERS_", "CELERY_TASK_"))
}


@pytest.mark.parametrize(
    ("url", "options"),
    [
        (FILESYSTEM, celery_defaults.broker_transport_options(FILESYSTEM)),
        (AMQP, celery_defaults.broker_transport_options(AMQP)),
        (REDIS, celery_defaults.broker_transport_options(REDIS)),
    ],
    ids=["filesystem", "amqp", "redis"],
)
def test_the_defaults_pass_on_every_broker(url: str, options: dict) -> None:
    with override_settings(
        **DEFAULTS, CELERY_BROKER_URL=url, CELERY_BROKER_TRANSPORT_OPTIONS=options
    ):
        assert all_problems() == []


@pytest.mark.parametrize(
    ("overrides", "check_id", "names"),
    [
        (
            {"REMINDERS_LEASE": 300, "CELERY_TASK_TIME_LIMIT": 300},
            "reminders.E001",
            ["REMINDERS_LEASE (300 s)", "CELERY_TASK_TIME_LIMIT (300 s)"],
        ),
        (
            # A short DATA wait, so that only the soft limit is crossed (not E020).
            {"REMINDERS_BATCH_DEADLINE": 240, "REMINDERS_SMTP_DATA_TIMEOUT": 20},
            "reminders.E002",
            ["REMINDERS_BATCH_DEADLINE (240 s)", "CELERY_TASK_SOFT_TIME_LIMIT (240 s)"],
        ),
        (
            # RFC 5321's 10 minutes with the default limits: a batch's last email would
            # outlive the hard time limit.
            {"REMINDERS_SMTP_DATA_TIMEOUT": 600, "EMAIL_TIMEOUT": 10},
            "reminders.E020",
            [
                "REMINDERS_BATCH_DEADLINE (60 s)",
                "EMAIL_TIMEOUT (10 s)",
                "REMINDERS_SMTP_DATA_TIMEOUT (600 s)",
                "CELERY_TASK_TIME_LIMIT (300 s)",
            ],
        ),
        (
            {"REMINDERS_SMTP_DATA_TIMEOUT": 5, "EMAIL_TIMEOUT": 10},
            "reminders.E021",
            ["REMINDERS_SMTP_DATA_TIMEOUT (5 s)", "EMAIL_TIMEOUT (10 s)"],
        ),
        (
            {"REMINDERS_DIGEST_DEADLINE": 250},
            "reminders.E003",
            ["REMINDERS_DIGEST_DEADLINE (250 s)", "CELERY_TASK_SOFT_TIME_LIMIT (240 s)"],
        ),
        (
            {"CELERY_TASK_SOFT_TIME_LIMIT": 300},
            "reminders.E004",
            ["CELERY_TASK_SOFT_TIME_LIMIT (300 s)", "CELERY_TASK_TIME_LIMIT (300 s)"],
        ),
        (
            {"REMINDERS_ETA_HORIZON": 1800, "CELERY_BROKER_URL": AMQP},
            "reminders.E005",
            ["REMINDERS_ETA_HORIZON (1800 s)", "consumer_timeout for CELERY_BROKER_URL (1800 s)"],
        ),
        (
            {
                "REMINDERS_ETA_HORIZON": 1300,
                "CELERY_BROKER_URL": REDIS,
                "CELERY_BROKER_TRANSPORT_OPTIONS": {"visibility_timeout": 1300},
            },
            "reminders.E005",
            [
                "REMINDERS_ETA_HORIZON (1300 s)",
                "CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'] (1300 s)",
            ],
        ),
        (
            {"REMINDERS_RETRY_MAX_DELAY": 2000, "CELERY_BROKER_URL": AMQP},
            "reminders.E006",
            [
                "REMINDERS_RETRY_MAX_DELAY (2000 s)",
                "consumer_timeout for CELERY_BROKER_URL (1800 s)",
            ],
        ),
        (
            {
                "REMINDERS_RETRY_MAX_DELAY": 3600,
                "CELERY_BROKER_URL": REDIS,
                "CELERY_BROKER_TRANSPORT_OPTIONS": {},  # kombu's default visibility timeout
            },
            "reminders.E006",
            [
                "REMINDERS_RETRY_MAX_DELAY (3600 s)",
                "CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'] (3600 s)",
            ],
        ),
        ({"REMINDERS_DISPATCH_BATCH": 0}, "reminders.E007", ["REMINDERS_DISPATCH_BATCH (0)"]),
        ({"REMINDERS_DIGEST_CHUNK": 0}, "reminders.E008", ["REMINDERS_DIGEST_CHUNK (0)"]),
        ({"REMINDERS_BEAT_LEASE": 2}, "reminders.E009", ["REMINDERS_BEAT_LEASE (2 s)"]),
        (
            {"REMINDERS_BEAT_LEASE": 30, "REMINDERS_BEAT_ALERT": 60},
            "reminders.E010",
            ["REMINDERS_BEAT_ALERT (60 s)", "REMINDERS_BEAT_LEASE (30 s)"],
        ),
    ],
    ids=[
        "lease-vs-time-limit",
        "batch-deadline-vs-soft-limit",
        "data-timeout-vs-hard-limit",
        "data-timeout-vs-email-timeout",
        "digest-deadline-vs-soft-limit",
        "soft-vs-hard-limit",
        "eta-horizon-vs-rabbitmq",
        "eta-horizon-vs-redis",
        "retry-max-delay-vs-rabbitmq",
        "retry-max-delay-vs-redis-default",
        "dispatch-batch",
        "digest-chunk",
        "beat-lease-minimum",
        "beat-alert-vs-lease",
    ],
)
def test_a_bad_value_is_an_error_naming_both_settings(
    overrides: dict, check_id: str, names: list[str]
) -> None:
    settings = {
        **DEFAULTS,
        "CELERY_BROKER_URL": FILESYSTEM,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {},
        **overrides,
    }
    with override_settings(**settings):
        error = the_error(check_id)

    for name in names:
        assert name in error.msg


def test_the_filesystem_broker_has_no_redelivery_timeout() -> None:
    long_waits = {"REMINDERS_ETA_HORIZON": 100_000, "REMINDERS_RETRY_MAX_DELAY": 100_000}
    with override_settings(**{**DEFAULTS, "CELERY_BROKER_URL": FILESYSTEM, **long_waits}):
        assert all_problems() == []


def test_manage_py_check_fails_on_a_bad_environment() -> None:
    # A subprocess: this module imports reminders.checks itself, so only a fresh process
    # shows that RemindersConfig.ready() registers the checks.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REMINDERS_LEASE": "100"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "reminders.E001" in output
    assert "REMINDERS_LEASE (100 s)" in output
    assert "CELERY_TASK_TIME_LIMIT" in output
