"""Celery tasks of the reminders app: thin, they take ids and call a service.

Every task here is safe to run twice; ``acks_late`` (config/settings/base.py) means a
worker that dies mid-task has its message delivered again.
"""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)


class ReminderTemporaryFailure(Exception):
    """A send failed for a reason that may pass (SMTP 4xx, connection refused, timeout)."""


@shared_task(bind=True, max_retries=None)
def remind(self, reminder_id: str) -> dict[str, str]:
    """Send reminder ``reminder_id`` if it is pending and due; see ``reminder_deliver``.

    Celery's own retry limit is off: the reminder's ``attempts`` decide, across every
    message that ever carried it (retries and ``dispatch_due``'s republishing alike).
    """
    delivery = services.reminder_deliver(reminder_id=reminder_id)
    if delivery.retry_in is not None:
        raise self.retry(countdown=delivery.retry_in, exc=ReminderTemporaryFailure(delivery.error))
    return delivery.as_result()


@shared_task
def remind_batch(reminder_ids: list[str]) -> dict:
    """Send a backlog's batch: claim with one UPDATE, send over
    ``REMINDERS_BATCH_CONNECTIONS`` SMTP connections, each reminder marked as the
    server answers; see ``reminders_deliver_batch``. Safe to run twice:
    a second run finds nothing left to claim. Retries are published by the service
    for the reminders that need one, never for the whole batch."""
    return services.reminders_deliver_batch(reminder_ids=reminder_ids).as_dict()


@shared_task
def dispatch_due() -> dict[str, int]:
    """Beat, every minute: reclaim lost claims and publish reminders that came due.

    A run that published as many as ``REMINDERS_DISPATCH_BATCH`` allows queues the
    next run at once, so a backlog larger than that drains without waiting for beat.
    """
    report = services.reminders_dispatch_due()
    if report.more:
        dispatch_due.delay()
    return report.as_dict()


@shared_task
def log(message: str) -> str:
    """Write ``message`` to the worker's log (a task of the original blog)."""
    logger.info("%s", message)
    return message


@shared_task
def multiply(x: int, y: int) -> int:
    """Return ``x * y`` (a task of the original blog)."""
    return x * y


@shared_task(bind=True, max_retries=None)
def digest(self, week: str | None = None) -> dict[str, str | int]:
    """The weekly digest (beat: Sundays 10:00). Running it twice in a week sends nothing
    new; an SMTP outage mid-run retries and resumes after the last recipient. A run
    longer than ``REMINDERS_DIGEST_DEADLINE`` hands the rest of the ``week`` (an ISO
    date) to a new task, well before the task's time limit."""
    try:
        report = services.digest_send(week=date.fromisoformat(week) if week else None)
    except services.DigestInterrupted as exc:
        if self.request.retries >= settings.REMINDERS_MAX_RETRIES:
            raise
        delay = services.reminder_retry_delay(self.request.retries + 1)
        raise self.retry(countdown=delay, exc=exc) from exc
    if report.status == "continued":
        digest.apply_async(kwargs={"week": report.week})
    return report.as_dict()
