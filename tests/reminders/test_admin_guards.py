"""The admin keeps the record of every email that may have gone out, refuses an edit
made on a state that has changed, and lets staff settle an unknown outcome.

Issue #19: a reminder could be deleted while ``sending``, leaving no record of an
email that went out; an edit made while a worker sent the reminder was dropped and
reported as saved.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus
from reminders.services import reminder_claim

from .factories import ReminderFactory
from .test_admin import CHANGELIST, change_url, form_data, in_state, run_action

pytestmark = pytest.mark.django_db

KEPT = [ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.UNKNOWN]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def delete_url(reminder: Reminder) -> str:
    return reverse("admin:reminders_reminder_delete", args=[reminder.pk])


# DELETING
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", KEPT)
def test_a_reminder_an_email_may_have_gone_out_for_cannot_be_deleted(admin_client, status) -> None:
    reminder = in_state(status)

    page = admin_client.get(change_url(reminder))
    asked = admin_client.get(delete_url(reminder), follow=True)
    posted = admin_client.post(delete_url(reminder), {"post": "yes"}, follow=True)

    assert delete_url(reminder) not in page.content.decode()  # no "Delete" link
    for response in (asked, posted):
        assert response.redirect_chain[-1][0] == change_url(reminder)
        [message] = messages_of(response)
        assert "cannot be deleted" in message
        assert "Cancel a pending or failed one instead" in message
    assert Reminder.objects.filter(pk=reminder.pk, status=status).exists()


@pytest.mark.parametrize(
    "status", [ReminderStatus.PENDING, ReminderStatus.FAILED, ReminderStatus.CANCELLED]
)
def test_a_reminder_no_email_went_out_for_can_still_be_deleted(admin_client, status) -> None:
    reminder = in_state(status)

    response = admin_client.post(delete_url(reminder), {"post": "yes"})

    assert response.status_code == 302
    assert not Reminder.objects.filter(pk=reminder.pk).exists()


def test_the_delete_action_deletes_only_what_may_be_deleted_and_says_why(admin_client) -> None:
    sent, sending = in_state(ReminderStatus.SENT), in_state(ReminderStatus.SENDING)
    pending, failed = ReminderFactory(), in_state(ReminderStatus.FAILED)
    selected = (sent, sending, pending, failed)

    page = run_action(admin_client, "delete_selected", *selected)
    done = run_action(admin_client, "delete_selected", *selected, post="yes")

    assert page.templates[0].name == "admin/delete_selected_confirmation.html"
    content = page.content.decode()
    assert pending.email in content and failed.email in content
    assert sent.email not in content and sending.email not in content
    assert "2 selected reminders are kept" in " ".join(messages_of(page))
    assert "Successfully deleted 2 reminders." in messages_of(done)
    assert set(Reminder.objects.values_list("pk", flat=True)) == {sent.pk, sending.pk}


def test_a_reminder_claimed_after_the_delete_page_opened_is_kept(admin_client) -> None:
    reminder = ReminderFactory()
    page = admin_client.get(delete_url(reminder))
    assert page.status_code == 200
    reminder_claim(reminder_id=reminder.pk)  # a worker takes it meanwhile

    posted = admin_client.post(delete_url(reminder), {"post": "yes"}, follow=True)

    assert "cannot be deleted" in " ".join(messages_of(posted))
    assert Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).exists()


# EDITING WHILE A WORKER SENDS
# ------------------------------------------------------------------------------
def test_an_edit_made_while_a_worker_claimed_the_reminder_is_refused_and_kept(
    admin_client,
) -> None:
    reminder = ReminderFactory(subject="Before")
    opened = form_data(reminder, subject="After", text="A new text.")  # the page, as opened
    reminder_claim(reminder_id=reminder.pk)  # a worker claims it while staff type

    response = admin_client.post(change_url(reminder), opened)

    assert response.status_code == 200  # the form again, not "changed successfully"
    content = response.content.decode()
    assert "This reminder changed while you were editing it" in content
    assert "it was pending when the page was opened and is sending now" in content
    assert "Nothing was saved" in content
    assert 'value="After"' in content and "A new text." in content  # nothing lost
    assert "was changed successfully" not in content
    stored = Reminder.objects.get(pk=reminder.pk)
    assert (stored.subject, stored.status) == ("Before", ReminderStatus.SENDING)


def test_after_a_retry_the_refused_edit_applies_when_saved_again(admin_client) -> None:
    reminder = ReminderFactory(subject="Before")
    opened = form_data(reminder, subject="After")
    # A worker's attempt failed in between: pending again, another row version.
    claimed = reminder_claim(reminder_id=reminder.pk)
    Reminder.objects.filter(pk=claimed.pk).end_claim(
        ReminderStatus.PENDING, last_error="450 busy", updated=timezone.now() + timedelta(seconds=1)
    )

    refused = admin_client.post(change_url(reminder), opened)
    again = admin_client.post(
        change_url(reminder), {**opened, "seen": refused.context["adminform"].form["seen"].value()}
    )

    assert refused.status_code == 200
    assert "it was pending when the page was opened and is pending now" in (
        refused.content.decode()
    )
    assert again.status_code == 302
    assert Reminder.objects.get(pk=reminder.pk).subject == "After"


def test_an_unchanged_reminder_saves_as_before(admin_client) -> None:
    reminder = ReminderFactory(subject="Before")

    response = admin_client.post(change_url(reminder), form_data(reminder, subject="After"))

    assert response.status_code == 302
    assert Reminder.objects.get(pk=reminder.pk).subject == "After"


# OUTCOME UNKNOWN
# ------------------------------------------------------------------------------
def test_unknown_reminders_are_listed_filtered_and_read_only(admin_client) -> None:
    unknown = in_state(ReminderStatus.UNKNOWN, email="maybe@example.com")
    ReminderFactory(email="waiting@example.com")

    listed = admin_client.get(CHANGELIST, {"status__exact": "unknown"}).content.decode()
    page = admin_client.get(change_url(unknown)).content.decode()

    assert "maybe@example.com" in listed and "waiting@example.com" not in listed
    assert "outcome unknown" in listed
    assert 'name="_save"' not in page


def test_send_again_on_an_unknown_outcome_asks_first(admin_client) -> None:
    unknown = in_state(ReminderStatus.UNKNOWN, email="maybe@example.com", attempts=1)

    page = run_action(admin_client, "send_again", unknown)
    assert Reminder.objects.get(pk=unknown.pk).status == ReminderStatus.UNKNOWN
    done = run_action(admin_client, "send_again", unknown, post="yes")

    assert "maybe@example.com" in page.content.decode()
    assert "outcome unknown: it may have arrived" in page.content.decode()
    assert "1 reminder queued to send again." in messages_of(done)
    assert Reminder.objects.get(pk=unknown.pk).status == ReminderStatus.PENDING


def test_mark_sent_settles_only_unknown_outcomes(admin_client) -> None:
    unknown, failed = in_state(ReminderStatus.UNKNOWN), in_state(ReminderStatus.FAILED)

    done = run_action(admin_client, "mark_sent", unknown, failed)

    recorded_at = unknown.updated  # when the worker recorded the unknown outcome
    unknown.refresh_from_db()
    assert unknown.status == ReminderStatus.SENT
    assert unknown.sent_at == recorded_at
    assert Reminder.objects.get(pk=failed.pk).status == ReminderStatus.FAILED
    assert "1 reminder marked sent." in messages_of(done)
    assert any("cannot be marked sent" in message for message in messages_of(done))
