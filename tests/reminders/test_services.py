"""The services: creation, staff transitions, the claim, sending and its failures.

These call the services directly in the test process (the worker tests in
test_tasks.py prove the same paths through a real worker and broker).
"""

import smtplib
import socket
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reminders.models import AttemptOutcome, Reminder, ReminderStatus
from reminders.services import (
    DeliveryStatus,
    reminder_cancel,
    reminder_claim,
    reminder_create,
    reminder_deliver,
    reminder_retry_delay,
    reminder_send_again,
    reminder_send_now,
    reminder_update,
    reminders_dispatch_due,
    smtp_failure,
    welcome_reminder_create,
)
from tests.factories import UserFactory

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def in_state(status: str, **fields) -> Reminder:
    """A reminder put straight into a delivery state, as the pipeline would leave it."""
    reminder = ReminderFactory(**fields)
    Reminder.objects.filter(pk=reminder.pk).update(status=status)
    return Reminder.objects.get(pk=reminder.pk)


# CREATING
# ------------------------------------------------------------------------------
def test_reminder_create_validates_and_saves_nothing_on_bad_input() -> None:
    with pytest.raises(ValidationError) as error:
        reminder_create(email="nope", text="", date=timezone.now())

    assert set(error.value.message_dict) == {"email", "text"}
    assert not Reminder.objects.exists()


def test_welcome_reminder_is_for_the_user_after_the_welcome_delay(settings) -> None:
    settings.REMINDERS_WELCOME_DELAY = 3600
    user = UserFactory(username="grace", email="grace@example.com")
    before = timezone.now()

    reminder = welcome_reminder_create(user)

    assert reminder.user == user
    assert reminder.email == "grace@example.com"
    assert reminder.subject == "Welcome!"
    assert reminder.text.startswith("Hello grace,")
    assert (
        before + timedelta(seconds=3600)
        <= reminder.date
        <= timezone.now() + timedelta(seconds=3600)
    )
    assert reminder.status == ReminderStatus.PENDING


# STAFF TRANSITIONS
# ------------------------------------------------------------------------------
def test_update_of_a_failed_reminder_reschedules_it() -> None:
    reminder = in_state(ReminderStatus.FAILED)
    Reminder.objects.filter(pk=reminder.pk).update(attempts=6, last_error="550 no")
    new_date = timezone.now() + timedelta(days=1)

    reminder_update(reminder=reminder, date=new_date, text="Fixed text.")

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.attempts == 0
    assert reminder.last_error == ""
    assert reminder.date == new_date
    assert reminder.next_attempt_at == new_date
    assert reminder.text == "Fixed text."


@pytest.mark.parametrize(
    "status", [ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.CANCELLED]
)
def test_update_refuses_reminders_that_are_not_pending_or_failed(status: str) -> None:
    reminder = in_state(status)

    with pytest.raises(ValidationError, match="cannot be edited"):
        reminder_update(reminder=reminder, text="Too late.")

    assert Reminder.objects.get(pk=reminder.pk).status == status


def test_update_refuses_delivery_fields() -> None:
    with pytest.raises(TypeError, match="status"):
        reminder_update(reminder=ReminderFactory(), status=ReminderStatus.SENT)


def test_send_now_keeps_the_date_and_moves_the_next_attempt_to_now() -> None:
    # Issue #15 changed this: "send now" used to overwrite the date with the time of sending.
    date = timezone.now() + timedelta(days=3)
    reminder = ReminderFactory(date=date)
    message_id = reminder.message_id

    reminder_send_now(reminder=reminder)

    assert reminder.date == date
    assert reminder.next_attempt_at <= timezone.now()
    assert reminder.message_id == message_id
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.PENDING


def test_send_now_refuses_a_sent_reminder() -> None:
    with pytest.raises(ValidationError, match="use send again"):
        reminder_send_now(reminder=in_state(ReminderStatus.SENT))


def test_send_again_makes_a_sent_reminder_pending_with_fresh_attempts() -> None:
    reminder = in_state(ReminderStatus.SENT, date=timezone.now() - timedelta(days=1))
    Reminder.objects.filter(pk=reminder.pk).update(attempts=2)
    old_message_id = reminder.message_id

    reminder_send_again(reminder=reminder)

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.attempts == 0
    assert reminder.message_id != old_message_id  # a new email, not a duplicate


def test_send_again_refuses_a_pending_reminder() -> None:
    with pytest.raises(ValidationError, match="cannot be sent again"):
        reminder_send_again(reminder=ReminderFactory())


def test_cancel_a_pending_reminder_and_refuse_a_sent_one() -> None:
    pending = ReminderFactory()
    sent = in_state(ReminderStatus.SENT)

    reminder_cancel(reminder=pending)
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        reminder_cancel(reminder=sent)

    assert pending.status == ReminderStatus.CANCELLED
    assert Reminder.objects.get(pk=sent.pk).status == ReminderStatus.SENT


# THE CLAIM
# ------------------------------------------------------------------------------
def test_claim_is_one_update_and_only_one_claim_wins(django_assert_num_queries) -> None:
    reminder = ReminderFactory()

    # The UPDATE ... WHERE status = 'pending' AND next_attempt_at <= now, then the row.
    with django_assert_num_queries(2):
        first = reminder_claim(reminder_id=reminder.pk)
    with django_assert_num_queries(1):
        second = reminder_claim(reminder_id=reminder.pk)

    assert first.status == ReminderStatus.SENDING
    assert first.attempts == 1
    assert first.claimed_at is not None
    assert second is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: ReminderFactory(date=timezone.now() + timedelta(minutes=5)),  # not due
        lambda: in_state(ReminderStatus.CANCELLED),
        lambda: in_state(ReminderStatus.SENT),
        lambda: in_state(ReminderStatus.FAILED),
    ],
    ids=["not-due", "cancelled", "sent", "failed"],
)
def test_nothing_to_claim(make) -> None:
    reminder = make()

    assert reminder_claim(reminder_id=reminder.pk) is None
    assert Reminder.objects.get(pk=reminder.pk).attempts == 0


# SENDING
# ------------------------------------------------------------------------------
def test_deliver_sends_text_and_html_and_marks_sent(smtp_server, settings) -> None:
    reminder = ReminderFactory(email="ada@example.com", subject="Hi", text="Line one\n<b>x</b>")

    delivery = reminder_deliver(reminder_id=str(reminder.pk))

    assert delivery.as_dict() == {"reminder": str(reminder.pk), "status": "sent"}
    [message] = smtp_server.recorder.messages
    assert message["Subject"] == "Hi"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == "Line one\n<b>x</b>\n"  # plain text: nothing escaped
    assert "<p>Line one<br>&lt;b&gt;x&lt;/b&gt;</p>" in message.get_body(("html",)).get_content()
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert reminder.sent_at is not None
    assert reminder.claimed_at is None


def test_deliver_twice_sends_once(smtp_server) -> None:
    reminder = ReminderFactory()

    first = reminder_deliver(reminder_id=str(reminder.pk))
    second = reminder_deliver(reminder_id=str(reminder.pk))

    assert (first.status, second.status) == (DeliveryStatus.SENT, DeliveryStatus.SKIPPED)
    assert len(smtp_server.recorder.messages) == 1


def test_temporary_refusal_returns_to_pending_with_a_retry(smtp_server, settings) -> None:
    settings.REMINDERS_RETRY_DELAY = 60
    smtp_server.recorder.refuse["busy@example.com"] = "451 4.3.0 Try later"
    reminder = ReminderFactory(email="busy@example.com")

    delivery = reminder_deliver(reminder_id=str(reminder.pk))

    assert delivery.status == DeliveryStatus.RETRY
    assert 48 <= delivery.retry_in <= 60
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.attempts == 1
    assert "451 4.3.0 Try later" in reminder.last_error
    assert reminder.next_attempt_at > timezone.now() + timedelta(seconds=40)
    # Not due before the retry's time: a stale copy of the message finds nothing.
    assert reminder_deliver(reminder_id=str(reminder.pk)).status == DeliveryStatus.SKIPPED


def test_smtp_server_down_is_a_temporary_failure(smtp_server) -> None:
    smtp_server.stop()
    reminder = ReminderFactory()

    delivery = reminder_deliver(reminder_id=str(reminder.pk))

    assert delivery.status == DeliveryStatus.RETRY
    assert "ConnectionRefusedError" in Reminder.objects.get(pk=reminder.pk).last_error


def test_permanent_refusal_fails_at_once(smtp_server) -> None:
    smtp_server.recorder.refuse["gone@example.com"] = "550 5.1.1 No such user"
    reminder = ReminderFactory(email="gone@example.com")

    delivery = reminder_deliver(reminder_id=str(reminder.pk))

    assert delivery.status == DeliveryStatus.FAILED
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 1)
    assert "gone@example.com refused: 550 5.1.1 No such user" in reminder.last_error


def test_exhausted_retries_fail(smtp_server, settings) -> None:
    settings.REMINDERS_MAX_RETRIES = 2
    smtp_server.recorder.refuse["busy@example.com"] = "450 4.2.1 Busy"
    reminder = ReminderFactory(email="busy@example.com")

    statuses = []
    for _ in range(3):
        Reminder.objects.filter(pk=reminder.pk).update(next_attempt_at=timezone.now())
        statuses.append(reminder_deliver(reminder_id=str(reminder.pk)).status)

    assert statuses == ["retry", "retry", "failed"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 3)


@pytest.mark.parametrize("reminder_id", [str(uuid.uuid4()), "42", ""])
def test_deliver_unknown_id(reminder_id: str) -> None:
    assert reminder_deliver(reminder_id=reminder_id).status == DeliveryStatus.UNKNOWN


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (452, b"Mailbox full")}), False),
        (smtplib.SMTPSenderRefused(553, b"Sender refused", "noreply@localhost"), True),
        (smtplib.SMTPDataError(554, b"Rejected as spam"), True),
        (smtplib.SMTPDataError(421, b"Closing"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (socket.gaierror(-2, "Name or service not known"), False),
    ],
)
def test_smtp_failure_classification(exc: Exception, permanent: bool) -> None:
    assert smtp_failure(exc)[0] is permanent


def test_retry_delay_doubles_with_jitter_and_is_capped(settings) -> None:
    settings.REMINDERS_RETRY_DELAY = 300
    settings.REMINDERS_RETRY_MAX_DELAY = 1200

    delays = {attempt: [reminder_retry_delay(attempt) for _ in range(50)] for attempt in (1, 2, 9)}

    assert all(240 <= d <= 300 for d in delays[1])
    assert all(480 <= d <= 600 for d in delays[2])
    assert all(960 <= d <= 1200 for d in delays[9])  # capped below the broker's timeouts
    assert len(set(delays[1])) > 1  # jitter


# DISPATCH_DUE
# ------------------------------------------------------------------------------
def test_to_dispatch_picks_unpublished_and_lost_reminders_only() -> None:
    now = timezone.now()
    horizon, grace = timedelta(minutes=10), timedelta(minutes=10)

    def make(date_offset: timedelta, enqueued_offset: timedelta | None, **kw) -> Reminder:
        reminder = ReminderFactory(date=now + date_offset, **kw)
        enqueued = None if enqueued_offset is None else now + enqueued_offset
        Reminder.objects.filter(pk=reminder.pk).update(enqueued_at=enqueued)
        return reminder

    due_never_published = make(timedelta(minutes=-1), None)
    entering_horizon = make(timedelta(minutes=9), None)
    lost_message = make(timedelta(hours=-1), timedelta(hours=-1))
    make(timedelta(hours=2), None)  # far future
    make(timedelta(minutes=-1), timedelta(minutes=-2))  # published, still within grace
    make(timedelta(minutes=5), timedelta(minutes=-20))  # eta in the future
    cancelled = make(timedelta(hours=-1), None)
    Reminder.objects.filter(pk=cancelled.pk).update(status=ReminderStatus.CANCELLED)

    picked = set(Reminder.objects.to_dispatch(now, horizon, grace).values_list("pk", flat=True))

    assert picked == {due_never_published.pk, entering_horizon.pk, lost_message.pk}


def test_dispatch_due_reclaims_lost_claims_and_fails_exhausted_ones(settings) -> None:
    settings.REMINDERS_LEASE = 600
    settings.REMINDERS_MAX_RETRIES = 5
    long_ago = timezone.now() - timedelta(minutes=11)
    lost = in_state(ReminderStatus.SENDING)
    exhausted = in_state(ReminderStatus.SENDING)
    busy = in_state(ReminderStatus.SENDING)
    Reminder.objects.filter(pk=lost.pk).update(claimed_at=long_ago, attempts=1)
    Reminder.objects.filter(pk=exhausted.pk).update(claimed_at=long_ago, attempts=6)
    Reminder.objects.filter(pk=busy.pk).update(claimed_at=timezone.now(), attempts=1)

    report = reminders_dispatch_due()

    lost.refresh_from_db()
    exhausted.refresh_from_db()
    assert (report.reclaimed, report.given_up, report.enqueued) == (1, 1, 1)
    assert lost.status == ReminderStatus.PENDING
    assert lost.enqueued_at is not None  # published again in the same run
    assert "worker sending it was lost" in lost.last_error
    assert exhausted.status == ReminderStatus.FAILED
    assert Reminder.objects.get(pk=busy.pk).status == ReminderStatus.SENDING


def test_dispatch_due_runs_in_a_fixed_number_of_queries(django_assert_num_queries) -> None:
    for _ in range(5):
        reminder = ReminderFactory(date=timezone.now() - timedelta(minutes=1))
        Reminder.objects.filter(pk=reminder.pk).update(enqueued_at=None)

    # The ids of lost claims (none here, so no UPDATE of them), the candidates, one
    # UPDATE of enqueued_at: never one query per reminder.
    with django_assert_num_queries(3):
        report = reminders_dispatch_due()

    assert report.enqueued == 5


def test_each_attempt_is_kept_in_the_reminders_history(smtp_server, settings) -> None:
    settings.REMINDERS_RETRY_DELAY = 60
    smtp_server.recorder.refuse["flaky@example.com"] = "451 4.3.0 Try later"
    reminder = ReminderFactory(email="flaky@example.com")

    reminder_deliver(reminder_id=str(reminder.pk))
    del smtp_server.recorder.refuse["flaky@example.com"]
    Reminder.objects.filter(pk=reminder.pk).update(next_attempt_at=timezone.now())
    reminder_deliver(reminder_id=str(reminder.pk))

    history = list(reminder.attempt_history.order_by("at").values_list("outcome", "smtp_reply"))
    assert [outcome for outcome, _ in history] == [AttemptOutcome.RETRY, AttemptOutcome.SENT]
    assert "451 4.3.0 Try later" in history[0][1]
    assert history[1][1] == ""
    reminder.refresh_from_db()
    # The second attempt's time is the send's; the history keeps the first one's.
    assert reminder.attempt_history.order_by("at").first().at < reminder.sent_at
