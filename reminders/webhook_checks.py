"""System checks of the providers' webhooks' secrets (docs/email.md, "Provider webhooks").

Registered when RemindersConfig.ready() imports this module. anymail only warns when its
webhooks have no secret and then accepts anyone's events: here a webhook view routed
without one is an error of ``manage.py check`` (and so of every start-up).
"""

from __future__ import annotations

from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import URLPattern, URLResolver, get_resolver

from .webhook_views import StrictWebhook

# Like a password nobody should guess: the providers send it with every event.
SECRET_MIN_LENGTH = 24
SECRET_MIN_UNIQUE_CHARACTERS = 8


def webhook_secrets() -> list[str]:
    secrets = settings.ANYMAIL_WEBHOOK_SECRET
    return [secrets] if isinstance(secrets, str) and secrets else list(secrets or [])


@register(Tags.security)
def webhook_secret_format(app_configs, **kwargs) -> list[CheckMessage]:
    """HTTP basic auth is user:password; anything else would refuse every provider."""
    return [
        Error(
            f"ANYMAIL_WEBHOOK_SECRET's entry {n} has no ':': each entry is user:password, "
            "the credentials the providers' webhook URLs carry.",
            hint="ANYMAIL_WEBHOOK_SECRET=lightblog:<long random password>",
            id="reminders.E030",
        )
        for n, secret in enumerate(webhook_secrets(), start=1)
        if ":" not in secret
    ]


@register(Tags.security, deploy=True)
def webhook_secret_strength(app_configs, **kwargs) -> list[CheckMessage]:
    """Whoever guesses it can put any address on the suppression list."""
    problems = []
    for n, secret in enumerate(webhook_secrets(), start=1):
        password = secret.partition(":")[2]
        if len(password) < SECRET_MIN_LENGTH or len(set(password)) < SECRET_MIN_UNIQUE_CHARACTERS:
            problems.append(
                Error(
                    f"ANYMAIL_WEBHOOK_SECRET's entry {n} has a password of {len(password)} "
                    f"characters ({len(set(password))} different): it needs at least "
                    f"{SECRET_MIN_LENGTH}, {SECRET_MIN_UNIQUE_CHARACTERS} of them different.",
                    hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                    id="reminders.E031",
                )
            )
    return problems


@register(Tags.security, Tags.urls)
def webhooks_not_open(app_configs, **kwargs) -> list[CheckMessage]:
    """A webhook of anymail's reachable without a secret accepts anyone's events."""
    problems = []
    if not webhook_secrets():
        problems += [
            Error(
                f"The webhook {route!r} ({view.__name__}) is routed but "
                "ANYMAIL_WEBHOOK_SECRET is empty: anyone could post bounces and "
                "complaints to it.",
                hint="Set ANYMAIL_WEBHOOK_SECRET, or route the webhooks only through "
                "reminders.webhook_urls (config/urls.py mounts it only with a secret).",
                id="reminders.E032",
            )
            for route, view in anymail_views()
            if not issubclass(view, StrictWebhook)
        ]
        if settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY:
            problems.append(
                Warning(
                    "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY is set but ANYMAIL_WEBHOOK_SECRET "
                    "is empty: no webhook is mounted, Mailgun's included.",
                    id="reminders.W030",
                )
            )
    return problems


def anymail_views(patterns=None, prefix: str = "") -> list[tuple[str, type]]:
    """(route, view class) of every anymail webhook view in the URLconf."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found += anymail_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "view_class", None)
            if isinstance(view, type) and issubclass(view, AnymailCoreWebhookView):
                found.append((prefix + str(entry.pattern), view))
    return found
