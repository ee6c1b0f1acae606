"""A deleted user gets no email: their pending reminders are cancelled in the deletion's
transaction. Before issue #19 the reminder's ``user`` was set to NULL and the pending
welcome email still went out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blog.models import User
from reminders.models import Reminder, ReminderStatus
from reminders.services import reminder_claim, welcome_reminder_create
from tests.factories import UserFactory
from tests.support.polling import wait_until

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def a_user_with_reminders(settings) -> tuple[User, dict[str, Reminder]]:
    settings.REMINDERS_WELCOME_DELAY = 3600  # still pending when the user goes
    user = UserFactory(email="leaving@example.com")
    welcome = welcome_reminder_create(user)
    sending = ReminderFactory(user=user)
    reminder_claim(reminder_id=sending.pk)
    sent = ReminderFactory(user=user)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)
    other = ReminderFactory(user=UserFactory())
    return user, {"welcome": welcome, "sending": sending, "sent": sent, "other": other}


def statuses(reminders: dict[str, Reminder]) -> dict[str, str]:
    return {name: Reminder.objects.get(pk=r.pk).status for name, r in reminders.items()}


EXPECTED = {
    "welcome": ReminderStatus.CANCELLED,
    "sending": ReminderStatus.SENDING,  # claimed already: it finishes
    "sent": ReminderStatus.SENT,
    "other": ReminderStatus.PENDING,  # someone else's
}


def test_user_delete_cancels_their_pending_reminders(settings) -> None:
    user, reminders = a_user_with_reminders(settings)

    user.delete()

    assert statuses(reminders) == EXPECTED
    welcome = Reminder.objects.get(pk=reminders["welcome"].pk)
    assert welcome.user is None
    assert welcome.last_error == "Cancelled: its user was deleted."


def test_a_rolled_back_deletion_cancels_nothing(settings) -> None:
    user, reminders = a_user_with_reminders(settings)
    pk = user.pk

    with pytest.raises(RuntimeError), transaction.atomic():
        user.delete()
        raise RuntimeError("the deletion fails later in its transaction")

    assert statuses(reminders)["welcome"] == ReminderStatus.PENDING
    assert User.objects.filter(pk=pk).exists()


def test_deleting_a_user_in_the_admin_cancels_their_pending_reminders(
    admin_client, settings
) -> None:
    user, reminders = a_user_with_reminders(settings)

    response = admin_client.post(reverse("admin:blog_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert statuses(reminders) == EXPECTED


def test_the_admin_bulk_delete_of_users_cancels_theirs(admin_client, settings) -> None:
    user, reminders = a_user_with_reminders(settings)

    admin_client.post(
        reverse("admin:blog_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(user.pk)], "post": "yes"},
    )

    assert not User.objects.filter(pk=user.pk).exists()
    assert statuses(reminders) == EXPECTED


@pytest.mark.worker
def test_a_user_deleted_before_the_welcome_email_gets_none(
    celery_worker, smtp_server, settings
) -> None:
    settings.REMINDERS_ETA_HORIZON = 600
    settings.REMINDERS_WELCOME_DELAY = 2  # published at once, with eta in 2 s
    user = UserFactory(email="gone@example.com")
    with transaction.atomic():
        welcome_reminder_create(user)
    user.delete()
    sentinel = ReminderFactory(
        email="sentinel@example.com", date=timezone.now() + timedelta(seconds=3)
    )

    wait_until(lambda: Reminder.objects.filter(pk=sentinel.pk, status=ReminderStatus.SENT).exists())

    assert smtp_server.recorder.to("gone@example.com") == []
    assert Reminder.objects.get(email="gone@example.com").status == ReminderStatus.CANCELLED
