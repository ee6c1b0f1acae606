"""The post_save receiver: it schedules delivery after commit, and only when needed."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus

from .conftest import broker_unreachable
from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def test_creating_schedules_one_callback_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        ReminderFactory()

    assert len(callbacks) == 1


def test_changing_what_or_when_of_a_pending_reminder_schedules_again(
    django_capture_on_commit_callbacks,
) -> None:
    reminder = Reminder.objects.get(pk=ReminderFactory().pk)

    with django_capture_on_commit_callbacks() as callbacks:
        reminder.date += timedelta(minutes=1)
        reminder.save()
        reminder.email = "other@example.com"
        reminder.save()

    assert len(callbacks) == 2


def test_other_saves_schedule_nothing(django_capture_on_commit_callbacks) -> None:
    reminder = Reminder.objects.get(pk=ReminderFactory().pk)
    sent = Reminder.objects.get(pk=ReminderFactory().pk)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)
    sent.refresh_from_db()

    with django_capture_on_commit_callbacks() as callbacks:
        reminder.user = None
        reminder.save()  # nothing the email depends on changed
        sent.text = "Edited after it went out."
        sent.save()  # not pending: the receiver leaves it alone

    assert callbacks == []


def test_loaddata_schedules_nothing(django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    fixture = Reminder(date=now, email="fixture@example.com", text="x", created=now, updated=now)

    with django_capture_on_commit_callbacks() as callbacks:
        fixture.save_base(raw=True)

    assert callbacks == []


@pytest.mark.django_db(transaction=True)
def test_rollback_schedules_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        reminder = ReminderFactory()
        raise RuntimeError("registration failed")

    # Had the callback run, it would have published and set enqueued_at on a row that
    # does not exist; nothing exists and nothing ran.
    assert not Reminder.objects.filter(pk=reminder.pk).exists()


def test_due_reminder_is_published_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reminder = ReminderFactory(date=timezone.now() + timedelta(minutes=5))

    reminder.refresh_from_db()
    assert reminder.enqueued_at is not None


def test_reminder_beyond_the_horizon_is_left_to_dispatch_due(
    django_capture_on_commit_callbacks, settings
) -> None:
    settings.REMINDERS_ETA_HORIZON = 600
    with django_capture_on_commit_callbacks(execute=True):
        reminder = ReminderFactory(date=timezone.now() + timedelta(minutes=11))

    reminder.refresh_from_db()
    assert reminder.enqueued_at is None


def test_broker_down_at_save_logs_and_keeps_the_reminder(
    django_capture_on_commit_callbacks, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="reminders")
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        reminder = ReminderFactory()  # no exception reaches the caller

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.enqueued_at is None
    [record] = [r for r in caplog.records if r.name == "reminders.services.publishing"]
    assert "not queued (broker unreachable)" in record.getMessage()
    assert record.exc_info is not None  # the connection error is in the log
