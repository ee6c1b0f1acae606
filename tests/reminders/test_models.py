"""The Reminder model: validation, defaults, the index, change tracking."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def valid_reminder(**overrides) -> Reminder:
    fields = {"date": timezone.now(), "email": "ada@example.com", "text": "Hello."}
    return Reminder(**{**fields, **overrides})


def test_defaults_of_a_new_reminder() -> None:
    reminder = valid_reminder()

    assert reminder.subject == "Welcome!"
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.attempts == 0
    assert reminder.id is not None  # a UUID before it is saved


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"text": ""}, "text"),
        ({"subject": "Two\nlines"}, "subject"),
        ({"date": datetime(2030, 1, 1, 10, 0)}, "date"),  # naive: which 10:00?
    ],
)
def test_full_clean_rejects_bad_input(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        valid_reminder(**overrides).full_clean()

    assert field in error.value.message_dict


def test_full_clean_accepts_a_valid_reminder() -> None:
    valid_reminder().full_clean()


def test_next_attempt_follows_the_date_on_create_and_reschedule() -> None:
    reminder = ReminderFactory(date=timezone.now() + timedelta(hours=1))
    assert reminder.next_attempt_at == reminder.date

    reminder = Reminder.objects.get(pk=reminder.pk)
    reminder.date += timedelta(hours=1)
    reminder.save(update_fields=["date"])

    reminder.refresh_from_db()
    assert reminder.next_attempt_at == reminder.date


def test_schedule_changed_only_for_date_email_subject_or_text() -> None:
    reminder = Reminder.objects.get(pk=ReminderFactory().pk)

    reminder.attempts = 3
    reminder.save()
    unchanged = reminder.schedule_changed
    reminder.subject = "Hello again"
    reminder.save()

    assert unchanged is False
    assert reminder.schedule_changed is True


def test_message_id_is_stable_for_a_date_and_new_after_a_reschedule(settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "Lightblog <hello@blog.example.com>"
    reminder = ReminderFactory()
    first = reminder.message_id

    same = Reminder.objects.get(pk=reminder.pk).message_id
    reminder.date += timedelta(minutes=5)

    assert first == same
    assert first.startswith(f"<{reminder.id.hex}.")
    assert first.endswith("@blog.example.com>")
    assert reminder.message_id != first


def test_due_and_pending_lookup_has_an_index() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Reminder._meta.db_table)

    indexed = [c["columns"] for c in constraints.values() if c["index"]]
    assert ["status", "next_attempt_at"] in indexed


def test_str_names_subject_recipient_and_date() -> None:
    reminder = valid_reminder(date=datetime(2030, 1, 2, 3, 4, tzinfo=UTC))

    assert str(reminder) == "Welcome! to ada@example.com at 2030-01-02 03:04"
