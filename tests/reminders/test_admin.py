"""The reminders admin: list, filters, search, read-only delivery fields, rescheduling
on edit and the three actions; the Celery results and beat admins next to it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import TaskResult

from reminders.forms import state_token
from reminders.models import AttemptOutcome, Reminder, ReminderAttempt, ReminderStatus
from tests.support.polling import wait_until

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reminders_reminder_changelist")


def change_url(reminder: Reminder) -> str:
    return reverse("admin:reminders_reminder_change", args=[reminder.pk])


def in_state(status: str, **fields) -> Reminder:
    reminder = ReminderFactory(**fields)
    Reminder.objects.filter(pk=reminder.pk).update(status=status, **fields)
    return Reminder.objects.get(pk=reminder.pk)


def form_data(reminder: Reminder, **changes) -> dict:
    local = timezone.localtime(changes.pop("date", reminder.date))
    data = {
        "email": reminder.email,
        "subject": reminder.subject,
        "text": reminder.text,
        "date_0": local.strftime("%Y-%m-%d"),
        "date_1": local.strftime("%H:%M:%S"),
        "user": "",
        # The state the page was opened in, as the change page's hidden field carries it.
        "seen": state_token(reminder) if reminder.pk and reminder.updated else "",
        # The attempts inline (read-only): its management form, as a browser sends it.
        "attempt_history-TOTAL_FORMS": "0",
        "attempt_history-INITIAL_FORMS": "0",
        # The providers' events inline (read-only) likewise.
        "mail_events-TOTAL_FORMS": "0",
        "mail_events-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_changelist_shows_delivery_columns_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
) -> None:
    in_state(ReminderStatus.FAILED, last_error="550 5.1.1 " + "No such user " * 10)
    for _ in range(20):
        ReminderFactory()

    # Session, user, count(s), the page of reminders, date hierarchy: not one per row.
    with django_assert_max_num_queries(8):
        response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    assert response.status_code == 200
    for column in ("Email", "Date", "Status", "Attempts", "Sent at", "Last error"):
        assert column in content
    assert "550 5.1.1 No such user No such user No such user No such us…" in content


def test_filter_by_status_and_search_by_email(admin_client) -> None:
    in_state(ReminderStatus.FAILED, email="failed@example.com")
    ReminderFactory(email="pending@example.com")

    by_status = admin_client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    by_email = admin_client.get(CHANGELIST, {"q": "pending@"}).content.decode()

    assert "failed@example.com" in by_status
    assert "pending@example.com" not in by_status
    assert "pending@example.com" in by_email
    assert "failed@example.com" not in by_email


def test_delivery_fields_are_read_only(admin_client) -> None:
    reminder = ReminderFactory(date=timezone.now() + timedelta(days=1))

    response = admin_client.post(
        change_url(reminder), form_data(reminder, status="sent", attempts="9")
    )

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 0)


def test_editing_a_failed_reminder_reschedules_it(admin_client) -> None:
    reminder = in_state(ReminderStatus.FAILED, attempts=6, last_error="550 no")
    new_date = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    response = admin_client.post(
        change_url(reminder), form_data(reminder, date=new_date, email="fixed@example.com")
    )

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.attempts == 0
    assert reminder.email == "fixed@example.com"
    assert reminder.date == new_date
    assert reminder.next_attempt_at == new_date


def test_a_sent_reminder_cannot_be_edited(admin_client) -> None:
    reminder = in_state(ReminderStatus.SENT)

    admin_client.post(change_url(reminder), form_data(reminder, text="Rewritten history."))

    assert Reminder.objects.get(pk=reminder.pk).text == reminder.text


def test_adding_a_reminder_in_the_admin(admin_client) -> None:
    date = timezone.now() + timedelta(days=1)
    blank = Reminder(date=date, email="new@example.com", text="Hello from staff.")

    response = admin_client.post(
        reverse("admin:reminders_reminder_add"), form_data(blank, subject="Hello")
    )

    assert response.status_code == 302
    reminder = Reminder.objects.get(email="new@example.com")
    assert (reminder.subject, reminder.status) == ("Hello", ReminderStatus.PENDING)


def run_action(admin_client, action: str, *reminders: Reminder, **extra: str):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(r.pk) for r in reminders], **extra},
        follow=True,
    )


def test_action_send_now(admin_client) -> None:
    date = timezone.now() + timedelta(days=3)
    later = ReminderFactory(date=date)
    sent = in_state(ReminderStatus.SENT)

    response = run_action(admin_client, "send_now", later, sent)

    messages = [str(m) for m in response.context["messages"]]
    later.refresh_from_db()
    # Issue #15 changed this: the date stays, only the next attempt is now.
    assert later.date == date
    assert later.next_attempt_at <= timezone.now()
    assert "1 reminder queued to send now." in messages
    assert any("cannot be sent now" in m for m in messages)


def test_action_cancel(admin_client) -> None:
    first, second = ReminderFactory(), ReminderFactory()

    response = run_action(admin_client, "cancel", first, second)

    assert "2 reminders cancelled." in [str(m) for m in response.context["messages"]]
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}


def test_action_send_again(admin_client) -> None:
    sent = in_state(ReminderStatus.SENT, attempts=1)

    # Issue #15: a confirmation page first, then the action on "post=yes".
    run_action(admin_client, "send_again", sent, post="yes")

    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (ReminderStatus.PENDING, 0)


@pytest.mark.parametrize(
    "name",
    [
        "admin:django_celery_results_taskresult_changelist",
        "admin:django_celery_beat_periodictask_changelist",
        "admin:django_celery_beat_crontabschedule_changelist",
        "admin:reminders_digestrun_changelist",
    ],
)
def test_celery_admins_are_available_to_staff(admin_client, name: str) -> None:
    assert admin_client.get(reverse(name)).status_code == 200


@pytest.mark.worker
def test_rescheduling_in_the_admin_sends_once_at_the_new_date(
    celery_worker, smtp_server, client, admin_user, settings
) -> None:
    settings.REMINDERS_ETA_HORIZON = 600
    client.force_login(admin_user)
    # Published at save with eta in one second: that message goes stale.
    reminder = ReminderFactory(
        email="moved@example.com", date=timezone.now() + timedelta(seconds=1)
    )
    new_date = timezone.now() + timedelta(seconds=3)

    response = client.post(change_url(reminder), form_data(reminder, date=new_date))
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.date == new_date.replace(microsecond=0)

    # The stale message runs at the old date and finds nothing due to claim.
    while timezone.now() < reminder.date - timedelta(milliseconds=100):
        assert smtp_server.recorder.messages == []
    smtp_server.recorder.wait_for(1)
    reminder = wait_until(
        lambda: Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENT).first()
    )
    sentinel = ReminderFactory(email="sentinel@example.com")
    smtp_server.recorder.wait_for(2)
    wait_until(lambda: Reminder.objects.get(pk=sentinel.pk).status == ReminderStatus.SENT)

    assert len(smtp_server.recorder.to("moved@example.com")) == 1
    assert reminder.sent_at >= reminder.date
    assert reminder.attempts == 1


def test_send_again_asks_first_and_lists_the_recipients(admin_client) -> None:
    sent = in_state(ReminderStatus.SENT, email="once@example.com", attempts=1)
    failed = in_state(ReminderStatus.FAILED, email="bounced@example.com", attempts=6)
    pending = ReminderFactory(email="waiting@example.com")

    page = run_action(admin_client, "send_again", sent, failed, pending)

    content = page.content.decode()
    assert page.templates[0].name == "admin/reminders/reminder/send_again_confirmation.html"
    assert "email these 2 people again" in content
    assert "once@example.com" in content and "bounced@example.com" in content
    assert "waiting@example.com" not in content
    assert "1 selected reminder is pending, being sent or cancelled" in content
    assert 'name="post" value="yes"' in content
    # Nothing changed yet: the page only asked.
    assert Reminder.objects.get(pk=sent.pk).status == ReminderStatus.SENT

    done = run_action(admin_client, "send_again", sent, failed, pending, post="yes")

    assert "2 reminders queued to send again." in [str(m) for m in done.context["messages"]]
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.PENDING}


@pytest.mark.parametrize("status", [ReminderStatus.SENT, ReminderStatus.CANCELLED])
def test_a_read_only_reminder_has_no_save_buttons_and_refuses_a_post(admin_client, status) -> None:
    reminder = in_state(status)

    page = admin_client.get(change_url(reminder))
    posted = admin_client.post(change_url(reminder), form_data(reminder, subject="Changed"))

    content = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_addanother"' not in content
    assert posted.status_code == 403
    assert Reminder.objects.get(pk=reminder.pk).subject == reminder.subject


def test_a_pending_reminder_keeps_its_save_buttons(admin_client) -> None:
    content = admin_client.get(change_url(ReminderFactory())).content.decode()
    assert 'name="_save"' in content


def test_a_reminder_shows_its_attempts_and_links_its_task_results(admin_client) -> None:
    reminder = in_state(ReminderStatus.SENT)
    now = timezone.now()
    ReminderAttempt.objects.bulk_create(
        [
            ReminderAttempt(
                reminder=reminder,
                at=now - timedelta(minutes=5),
                outcome=AttemptOutcome.RETRY,
                smtp_reply="SMTP 451 4.3.0 Try again later",
            ),
            ReminderAttempt(reminder=reminder, at=now, outcome=AttemptOutcome.SENT),
        ]
    )
    TaskResult.objects.create(
        task_id="t-1",
        task_name="reminders.tasks.remind",
        task_args=f"\"('{reminder.pk}',)\"",
        status="SUCCESS",
        result=f'{{"reminder": "{reminder.pk}", "status": "sent"}}',
    )

    other = ReminderFactory()
    TaskResult.objects.create(
        task_id="t-2",
        task_name="reminders.tasks.remind",
        task_args=f"\"('{other.pk}',)\"",
        status="SUCCESS",
    )

    content = admin_client.get(change_url(reminder)).content.decode()

    assert "Attempts (newest first)" in content
    assert content.index("<p>sent</p>") < content.index("<p>temporary failure, retried</p>")
    assert f"{timezone.localtime(now):%Y-%m-%d %H:%M:%S}" in content
    assert "SMTP 451 4.3.0 Try again later" in content
    results_url = reverse("admin:django_celery_results_taskresult_changelist")
    results_url += f"?task_args__contains={reminder.pk}"
    assert results_url in content
    results = admin_client.get(results_url).content.decode()
    assert change_url(reminder) in results
    assert change_url(other) not in results


def test_staff_who_may_view_reminders_see_their_attempts(client) -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_reminder"))
    reminder = in_state(ReminderStatus.SENT)
    ReminderAttempt.objects.create(
        reminder=reminder, outcome=AttemptOutcome.FAILED, smtp_reply="SMTP 550 gone"
    )
    client.force_login(viewer)

    content = client.get(change_url(reminder)).content.decode()

    assert "SMTP 550 gone" in content
    assert 'name="_save"' not in content
