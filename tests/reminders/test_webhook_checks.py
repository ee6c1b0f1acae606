"""The system checks that keep the providers' webhooks closed (reminders/webhook_checks.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from reminders import webhook_checks
from tests.support.provider_events import WEBHOOK_SECRET


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_project_as_configured_passes(settings) -> None:
    settings.ANYMAIL_WEBHOOK_SECRET = []
    assert ids(webhook_checks.webhooks_not_open(None)) == []
    assert ids(webhook_checks.webhook_secret_format(None)) == []


def test_anymails_own_webhooks_routed_without_a_secret_are_an_error(settings) -> None:
    settings.ROOT_URLCONF = "tests.reminders.open_webhook_urls"
    settings.ANYMAIL_WEBHOOK_SECRET = []

    problems = webhook_checks.webhooks_not_open(None)

    assert set(ids(problems)) == {"reminders.E032"}
    routes = " ".join(problem.msg for problem in problems)
    for route in (
        "anymail/amazon_ses/tracking/",
        "anymail/mailgun/tracking/",
        "anymail/postmark/tracking/",
    ):
        assert route in routes
    with pytest.raises(SystemCheckError, match=r"reminders\.E032"):
        call_command("check")


def test_with_a_secret_anymails_webhooks_are_not_open(settings) -> None:
    settings.ROOT_URLCONF = "tests.reminders.open_webhook_urls"
    settings.ANYMAIL_WEBHOOK_SECRET = [WEBHOOK_SECRET]

    assert ids(webhook_checks.webhooks_not_open(None)) == []


def test_a_mailgun_key_without_a_secret_warns_that_nothing_is_mounted(settings) -> None:
    settings.ANYMAIL_WEBHOOK_SECRET = []
    settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = "key"

    assert ids(webhook_checks.webhooks_not_open(None)) == ["reminders.W030"]


def test_a_secret_is_user_colon_password(settings) -> None:
    settings.ANYMAIL_WEBHOOK_SECRET = [WEBHOOK_SECRET, "no-colon-here"]

    problems = webhook_checks.webhook_secret_format(None)

    assert ids(problems) == ["reminders.E030"]
    assert "entry 2" in problems[0].msg


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (WEBHOOK_SECRET, []),
        ("lightblog:short", ["reminders.E031"]),
        ("lightblog:" + "ab" * 20, ["reminders.E031"]),
    ],
)
def test_the_deploy_check_wants_a_long_varied_password(settings, secret, expected) -> None:
    settings.ANYMAIL_WEBHOOK_SECRET = [secret]

    assert ids(webhook_checks.webhook_secret_strength(None)) == expected
