"""Emails that cannot be built into SMTP fail for good at once, with the reason.

The rows are written as the ORM, a data migration or a bulk import would (an UPDATE,
no validation). Before issue #19, ``a@b@example.com`` and a CR/LF in the subject were
retried six times over an hour with a traceback each, and an empty address was
marked ``sent`` although Django's ``send()`` returned 0 and nothing went out.
"""

from __future__ import annotations

import logging

import pytest

from reminders.models import AttemptOutcome, Reminder, ReminderStatus
from reminders.services import reminder_deliver, reminders_deliver_batch

from .factories import ReminderFactory
from .test_batch import backlog, ids

pytestmark = pytest.mark.django_db

UNBUILDABLE = {
    "two at signs": ({"email": "a@b@example.com"}, "Invalid address"),
    "line break in the subject": ({"subject": "Hi\nBcc: victim@example.com"}, "newlines"),
    "empty address": ({"email": ""}, "no recipient address"),
}


def stored(**fields) -> Reminder:
    """A pending reminder whose row was then written past validation."""
    reminder = ReminderFactory()
    Reminder.objects.filter(pk=reminder.pk).update(**fields)
    return Reminder.objects.get(pk=reminder.pk)


@pytest.mark.parametrize("case", list(UNBUILDABLE))
def test_an_unbuildable_email_fails_at_once_with_the_reason(smtp_server, case: str) -> None:
    fields, reason = UNBUILDABLE[case]
    reminder = stored(**fields)

    delivery = reminder_deliver(reminder_id=reminder.pk)

    reminder.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.retry_in is None
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == 1
    assert reminder.sent_at is None
    assert reminder.last_error.startswith("Cannot be sent")
    assert reason in reminder.last_error
    assert [a.outcome for a in reminder.attempt_history.all()] == [AttemptOutcome.FAILED]
    assert smtp_server.recorder.messages == []


def test_a_line_break_in_a_subject_cannot_forge_a_log_line(smtp_server, caplog) -> None:
    forged = "Hi\nINFO remind: reminder 0 sent to boss@example.com"
    reminder = stored(subject=forged)

    with caplog.at_level(logging.INFO, logger="reminders"):
        reminder_deliver(reminder_id=reminder.pk)

    lines = [record.getMessage() for record in caplog.records]
    assert lines, "nothing was logged"
    assert any("Hi\\nINFO remind" in line for line in lines)  # escaped by %r
    assert not any("\n" in line for line in lines)
    assert not any(record.exc_info for record in caplog.records)  # no traceback either


def test_in_a_batch_only_the_unbuildable_ones_fail_and_the_rest_go_out_on_one_connection(
    counting_smtp, settings
) -> None:
    settings.REMINDERS_BATCH_CONNECTIONS = 1
    reminders = backlog(5, prefix="mixed")
    Reminder.objects.filter(pk=reminders[1].pk).update(email="a@b@example.com")
    Reminder.objects.filter(pk=reminders[3].pk).update(email="")

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert report.sent == 3
    assert sorted(report.failed) == sorted(ids([reminders[1], reminders[3]]))
    assert report.retry == []
    statuses = dict(Reminder.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in reminders] == [
        ReminderStatus.SENT,
        ReminderStatus.FAILED,
        ReminderStatus.SENT,
        ReminderStatus.FAILED,
        ReminderStatus.SENT,
    ]
    received = sorted(str(m["To"]) for m in counting_smtp.recorder.messages)
    assert received == ["mixed-0@example.com", "mixed-2@example.com", "mixed-4@example.com"]
    assert counting_smtp.recorder.sessions == 1
