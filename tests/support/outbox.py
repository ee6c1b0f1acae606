"""Delivering what is in the outbox from a test, through the pipeline's own service.

A web request only stores its emails (``reminders.outbox``); a worker sends them. A
test of a page that sends mail calls :func:`deliver_due` where a worker would run,
which claims and sends exactly as ``remind_batch`` does, with the delivery backend
of the test (in-memory, or the ``smtp_server`` fixture's). Tests of the worker itself
start a real one (``celery_worker``, the fault tests).
"""

from __future__ import annotations

from django.utils import timezone

from reminders.models import Reminder
from reminders.services import BatchReport, reminders_deliver_batch


def deliver_due() -> BatchReport:
    """Send every pending email that is due now; return the batch's report."""
    ids = list(Reminder.objects.due(timezone.now()).values_list("pk", flat=True))
    return reminders_deliver_batch(reminder_ids=ids)
