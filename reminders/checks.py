"""System checks on the REMINDERS_* settings and the Celery limits they depend on.

Registered when RemindersConfig.ready() imports this module, so ``manage.py check``
(and every management command) stops on a combination that could send an email twice
or never. Each message names both settings and their values.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

# RabbitMQ closes the channel of a consumer holding a message longer than this (its
# consumer_timeout, 30 min by default) and the message is delivered again.
RABBITMQ_CONSUMER_TIMEOUT = 1800
# kombu's Redis transport redelivers an unacknowledged message after this by default.
REDIS_VISIBILITY_TIMEOUT = 3600


@register()
def reminder_time_limits(app_configs, **kwargs) -> list[CheckMessage]:
    """A send must end, or be handed back, before the limits that cut it short."""
    soft = settings.CELERY_TASK_SOFT_TIME_LIMIT
    hard = settings.CELERY_TASK_TIME_LIMIT
    lease = settings.REMINDERS_LEASE
    batch_deadline = settings.REMINDERS_BATCH_DEADLINE
    digest_deadline = settings.REMINDERS_DIGEST_DEADLINE
    problems = []
    if lease <= hard:
        problems.append(
            Error(
                f"REMINDERS_LEASE ({lease} s) must exceed "
                f"CELERY_TASK_TIME_LIMIT ({hard} s): dispatch_due would take back the claim "
                "of a send still running, and the email would be sent twice.",
                id="reminders.E001",
            )
        )
    if batch_deadline >= soft:
        problems.append(
            Error(
                f"REMINDERS_BATCH_DEADLINE ({batch_deadline} s) must stay "
                f"below CELERY_TASK_SOFT_TIME_LIMIT ({soft} s): a batch must hand its unsent "
                "rest back before the time limit interrupts it.",
                id="reminders.E002",
            )
        )
    if digest_deadline >= soft:
        problems.append(
            Error(
                f"REMINDERS_DIGEST_DEADLINE ({digest_deadline} s) must stay "
                f"below CELERY_TASK_SOFT_TIME_LIMIT ({soft} s): a digest task must hand the "
                "rest of the week to a new task before the time limit interrupts it.",
                id="reminders.E003",
            )
        )
    data_timeout = settings.REMINDERS_SMTP_DATA_TIMEOUT
    email_timeout = settings.EMAIL_TIMEOUT
    if batch_deadline + email_timeout + data_timeout >= hard:
        problems.append(
            Error(
                f"REMINDERS_BATCH_DEADLINE ({batch_deadline} s) + EMAIL_TIMEOUT "
                f"({email_timeout} s) + REMINDERS_SMTP_DATA_TIMEOUT ({data_timeout} s) must "
                f"stay below CELERY_TASK_TIME_LIMIT ({hard} s): an email started just before "
                "the batch's deadline may wait that long for its reply, and the time limit "
                "would kill the worker mid-wait (the claim then comes back after the lease "
                "and the email is sent a second time).",
                id="reminders.E020",
            )
        )
    if data_timeout < email_timeout:
        problems.append(
            Error(
                f"REMINDERS_SMTP_DATA_TIMEOUT ({data_timeout} s) must be at least "
                f"EMAIL_TIMEOUT ({email_timeout} s): the reply to the end of DATA is the one "
                "a server may take longest over (RFC 5321, 4.5.3.2.6, gives it 10 minutes), "
                "and giving up on it leaves the outcome unknown.",
                id="reminders.E021",
            )
        )
    if soft >= hard:
        problems.append(
            Error(
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft} s) must stay below "
                f"CELERY_TASK_TIME_LIMIT ({hard} s): the soft limit lets a batch stop its "
                "SMTP lanes after their current email; the hard limit kills them mid-send.",
                id="reminders.E004",
            )
        )
    return problems


@register()
def reminder_broker_timeouts(app_configs, **kwargs) -> list[CheckMessage]:
    """A message held for its eta must be acknowledged before the broker redelivers it."""
    timeout = broker_redelivery_timeout()
    if timeout is None:
        return []
    limit, name = timeout
    problems = []
    for setting, id_ in (
        ("REMINDERS_ETA_HORIZON", "reminders.E005"),
        ("REMINDERS_RETRY_MAX_DELAY", "reminders.E006"),
    ):
        value = getattr(settings, setting)
        if value >= limit:
            problems.append(
                Error(
                    f"{setting} ({value} s) must stay below {name} ({limit} s): a worker "
                    "holds a message until its eta, and the broker would deliver a message "
                    "held longer again.",
                    id=id_,
                )
            )
    return problems


def broker_redelivery_timeout() -> tuple[int, str] | None:
    """Seconds after which CELERY_BROKER_URL's broker redelivers an unacknowledged
    message, and what sets them; None for a broker without such a timeout."""
    scheme = urlsplit(settings.CELERY_BROKER_URL.split(";")[0]).scheme
    if scheme in ("amqp", "amqps", "pyamqp"):
        return RABBITMQ_CONSUMER_TIMEOUT, "RabbitMQ's consumer_timeout for CELERY_BROKER_URL"
    if scheme in ("redis", "rediss"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}
        return (
            int(options.get("visibility_timeout", REDIS_VISIBILITY_TIMEOUT)),
            "CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']",
        )
    return None


@register()
def reminder_sizes(app_configs, **kwargs) -> list[CheckMessage]:
    """Counts the services slice querysets with: 0 or less would never send."""
    problems = []
    if settings.REMINDERS_DISPATCH_BATCH < 1:
        problems.append(
            Error(
                f"REMINDERS_DISPATCH_BATCH ({settings.REMINDERS_DISPATCH_BATCH}) must be at "
                "least 1: dispatch_due would publish nothing and queue itself again forever.",
                id="reminders.E007",
            )
        )
    if settings.REMINDERS_DIGEST_CHUNK < 1:
        problems.append(
            Error(
                f"REMINDERS_DIGEST_CHUNK ({settings.REMINDERS_DIGEST_CHUNK}) must be at "
                "least 1: the digest would load no recipient and record the week as sent.",
                id="reminders.E008",
            )
        )
    return problems


@register()
def beat_lease(app_configs, **kwargs) -> list[CheckMessage]:
    """Several beats (reminders/beat.py): the lease must outlast a tick, and the silence
    alert must outlast a takeover."""
    lease, alert = settings.REMINDERS_BEAT_LEASE, settings.REMINDERS_BEAT_ALERT
    problems = []
    if lease < 3:
        problems.append(
            Error(
                f"REMINDERS_BEAT_LEASE ({lease} s) must be at least 3 s: the leader renews "
                "it every third of it, and a shorter lease lets a waiting beat take over "
                "from a leader that is merely busy.",
                id="reminders.E009",
            )
        )
    if alert <= 2 * lease:
        problems.append(
            Error(
                f"REMINDERS_BEAT_ALERT ({alert} s) must exceed twice REMINDERS_BEAT_LEASE "
                f"({lease} s): a normal takeover after a beat died would alert.",
                id="reminders.E010",
            )
        )
    return problems


OUTBOX_BACKEND = "reminders.outbox.EmailBackend"


@register()
def outbox_backends(app_configs, **kwargs) -> list[CheckMessage]:
    """Mail goes into the outbox, and out of it through a backend that really sends."""
    problems = []
    if settings.EMAIL_BACKEND != OUTBOX_BACKEND:
        problems.append(
            Warning(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}, not the outbox "
                f"({OUTBOX_BACKEND!r}): emails sent through Django's mail API (account "
                "emails, mail_admins) leave from the web request, are lost when the "
                "server is down, and are not retried or shown to staff.",
                id="reminders.W040",
            )
        )
    if getattr(settings, "REMINDERS_EMAIL_BACKEND", "") == OUTBOX_BACKEND:
        problems.append(
            Error(
                "REMINDERS_EMAIL_BACKEND is the outbox itself: the worker would store "
                "each email again instead of sending it. Set EMAIL_URL to the SMTP "
                "server (docs/settings.md).",
                id="reminders.E040",
            )
        )
    return problems
