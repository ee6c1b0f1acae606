"""The pipeline end to end: a real worker, the configured broker, a real SMTP server.

Nothing here runs eagerly: a reminder saved in a transaction is published after the
commit, consumed by the worker thread, claimed in the database and sent over SMTP to
aiosmtpd. A test that proves "nothing was sent" first waits for a later email (a
sentinel) to arrive, so it never relies on a sleep being long enough.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_results.models import TaskResult

from reminders.models import Reminder, ReminderStatus
from reminders.services import reminder_create, welcome_reminder_create
from reminders.tasks import dispatch_due, log, multiply, remind
from tests.factories import UserFactory
from tests.support.polling import wait_until

from .conftest import broker_unreachable
from .factories import ReminderFactory

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("fast_pipeline")]


def task_results(reminder: Reminder) -> list[TaskResult]:
    return list(
        TaskResult.objects.filter(
            task_name="reminders.tasks.remind", task_args__contains=str(reminder.pk)
        )
    )


def final_result(reminder: Reminder) -> TaskResult:
    """The SUCCESS row of the remind task for ``reminder`` (waits for it)."""
    return wait_until(
        lambda: next((r for r in task_results(reminder) if r.status == "SUCCESS"), None)
    )


def send_sentinel(smtp_server, count_before: int) -> None:
    """Send one more reminder and wait for it: everything queued before it has run."""
    sentinel = ReminderFactory(email="sentinel@example.com")
    smtp_server.recorder.wait_for(count_before + 1)
    assert smtp_server.recorder.to("sentinel@example.com"), "the sentinel never arrived"
    final_result(sentinel)


def test_registration_sends_exactly_one_welcome_email(celery_worker, smtp_server) -> None:
    with transaction.atomic():
        user = UserFactory(username="ada", email="ada@example.com")
        reminder = welcome_reminder_create(user)

    messages = smtp_server.recorder.wait_for(1)
    result = final_result(reminder)

    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Welcome!"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Message-ID"].strip() == reminder.message_id
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello ada," in plain
    assert "welcome to Lightblog!" in plain
    assert "<p>Hello ada,</p>" in html
    assert "welcome to Lightblog!" in html
    assert json.loads(result.result) == {"reminder": str(reminder.pk), "status": "sent"}
    assert str(reminder.pk) in result.task_args
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert reminder.attempts == 1
    assert reminder.sent_at is not None
    assert reminder.enqueued_at is not None
    send_sentinel(smtp_server, 1)
    assert len(smtp_server.recorder.to("ada@example.com")) == 1


def test_near_future_reminder_is_not_sent_before_its_date(celery_worker, smtp_server) -> None:
    date = timezone.now() + timedelta(seconds=2)
    reminder = reminder_create(email="soon@example.com", text="Soon.", date=date)

    while timezone.now() < date - timedelta(milliseconds=100):
        assert smtp_server.recorder.messages == []
    smtp_server.recorder.wait_for(1)
    final_result(reminder)

    reminder.refresh_from_db()
    assert reminder.enqueued_at is not None  # published at save, with eta=date
    assert reminder.sent_at >= date
    assert len(smtp_server.recorder.to("soon@example.com")) == 1


def test_far_future_reminder_is_sent_by_dispatch_due(celery_worker, smtp_server, settings) -> None:
    settings.REMINDERS_ETA_HORIZON = 1
    date = timezone.now() + timedelta(seconds=3)
    reminder = reminder_create(email="later@example.com", text="Later.", date=date)

    reminder.refresh_from_db()
    assert reminder.enqueued_at is None  # beyond the horizon: no message at save
    assert (
        dispatch_due.apply_async(ignore_result=False).get(timeout=30)["enqueued"] == 0
    )  # still beyond it
    wait_until(lambda: timezone.now() >= date, timeout=10)
    assert smtp_server.recorder.messages == []  # due, but nothing published it yet

    report = dispatch_due.apply_async(ignore_result=False).get(timeout=30)
    smtp_server.recorder.wait_for(1)
    final_result(reminder)

    assert report["enqueued"] == 1
    assert len(smtp_server.recorder.to("later@example.com")) == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT


def test_rolled_back_transaction_sends_nothing(celery_worker, smtp_server) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        user = UserFactory(username="ghost", email="ghost@example.com")
        welcome_reminder_create(user)
        raise Abort

    send_sentinel(smtp_server, 0)
    assert not Reminder.objects.filter(email="ghost@example.com").exists()
    assert smtp_server.recorder.to("ghost@example.com") == []
    assert len(smtp_server.recorder.messages) == 1


def test_same_task_delivered_twice_sends_once(celery_worker, smtp_server) -> None:
    reminder = ReminderFactory(email="twice@example.com")
    # Two more messages for the same reminder: a redelivery and a second worker's copy.
    extra = [remind.delay(str(reminder.pk)) for _ in range(2)]

    outcomes = [r.get(timeout=30) for r in extra]
    final_result(reminder)
    send_sentinel(smtp_server, 1)

    assert len(smtp_server.recorder.to("twice@example.com")) == 1
    statuses = sorted(json.loads(r.result)["status"] for r in task_results(reminder))
    assert statuses == ["sent", "skipped", "skipped"]
    assert {o["status"] for o in outcomes} <= {"sent", "skipped"}
    reminder.refresh_from_db()
    assert reminder.attempts == 1


class RefuseOnce(dict):
    """A refusal table whose entries apply to one RCPT only: the server recovers."""

    def get(self, key, default=None):
        return self.pop(key, default)


def test_smtp_4xx_then_recovery_sends_once_with_attempts_recorded(
    celery_worker, smtp_server
) -> None:
    smtp_server.recorder.refuse = RefuseOnce({"busy@example.com": "450 4.2.1 Mailbox busy"})

    reminder = ReminderFactory(email="busy@example.com")
    smtp_server.recorder.wait_for(1)
    result = final_result(reminder)

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert reminder.attempts == 2
    assert "450 4.2.1 Mailbox busy" in reminder.last_error
    assert json.loads(result.result)["status"] == "sent"
    send_sentinel(smtp_server, 1)
    assert len(smtp_server.recorder.to("busy@example.com")) == 1


def test_smtp_550_fails_without_retries(celery_worker, smtp_server) -> None:
    smtp_server.recorder.refuse["nobody@example.com"] = "550 5.1.1 No such user"

    reminder = ReminderFactory(email="nobody@example.com")
    result = final_result(reminder)

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == 1
    assert "550 5.1.1 No such user" in reminder.last_error
    assert json.loads(result.result)["status"] == "failed"
    assert [r.status for r in task_results(reminder)] == ["SUCCESS"]  # never a RETRY
    send_sentinel(smtp_server, 0)
    assert smtp_server.recorder.to("nobody@example.com") == []


@pytest.mark.parametrize("reminder_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_reminder_id_ends_cleanly(celery_worker, reminder_id: str) -> None:
    result = remind.delay(reminder_id)

    assert result.get(timeout=30) == {"reminder": reminder_id, "status": "unknown"}
    assert TaskResult.objects.get(task_id=result.id).status == "SUCCESS"


def test_broker_unreachable_at_save_keeps_the_reminder_and_sends_later(
    request, smtp_server, transactional_db, caplog
) -> None:
    with broker_unreachable(), transaction.atomic():
        user = UserFactory(username="offline", email="offline@example.com")
        reminder = welcome_reminder_create(user)
    # The transaction committed and nothing was raised: registration succeeds.

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.enqueued_at is None
    assert "not queued (broker unreachable)" in caplog.text

    request.getfixturevalue("celery_worker")  # the broker is back: start the worker
    report = dispatch_due.apply_async(ignore_result=False).get(timeout=30)
    smtp_server.recorder.wait_for(1)
    final_result(reminder)

    assert report["enqueued"] == 1
    assert len(smtp_server.recorder.to("offline@example.com")) == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT


def test_log_and_multiply_store_their_results(celery_worker) -> None:
    logged = log.delay("hello from the tests")
    product = multiply.delay(6, 7)

    assert logged.get(timeout=30) == "hello from the tests"
    assert product.get(timeout=30) == 42
    rows = {r.task_name: r for r in TaskResult.objects.filter(task_id__in=[logged.id, product.id])}
    assert rows["reminders.tasks.log"].status == "SUCCESS"
    assert json.loads(rows["reminders.tasks.log"].result) == "hello from the tests"
    assert json.loads(rows["reminders.tasks.multiply"].result) == 42


def test_dispatch_due_leaves_a_result_only_when_it_did_something(
    celery_worker, smtp_server, caplog, settings
) -> None:
    """Beat's minutely sweep leaves no task result when it found nothing to do (about
    1,440 rows a day otherwise); a run that published something leaves its report."""
    settings.REMINDERS_ETA_HORIZON = 1
    caplog.set_level("INFO", logger="celery.app.trace")

    idle = dispatch_due.delay()  # as beat publishes it
    wait_until(lambda: f"dispatch_due[{idle.id}] succeeded" in caplog.text, timeout=30)
    # Beyond the horizon: no message at save, so the sweep publishes it once due.
    reminder = reminder_create(
        email="swept@example.com", text="Swept.", date=timezone.now() + timedelta(seconds=3)
    )
    wait_until(lambda: timezone.now() >= reminder.date, timeout=10)
    busy = dispatch_due.delay()
    wait_until(lambda: f"dispatch_due[{busy.id}] succeeded" in caplog.text, timeout=30)

    assert not TaskResult.objects.filter(task_id=idle.id).exists()
    stored = TaskResult.objects.get(task_id=busy.id)
    assert (stored.status, stored.task_name) == ("SUCCESS", "reminders.tasks.dispatch_due")
    assert json.loads(stored.result)["enqueued"] == 1
    smtp_server.recorder.wait_for(1)


def test_dispatch_due_called_as_a_function_sweeps_and_stores_no_result(db) -> None:
    """As the fault suite's dispatchers and an operator's shell call it: no task id, so
    nothing to store (a row with a null task id was an IntegrityError on MariaDB)."""
    lost = ReminderFactory()
    Reminder.objects.filter(pk=lost.pk).update(
        status=ReminderStatus.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=settings.REMINDERS_LEASE + 1),
    )

    with broker_unreachable():  # the reclaimed one is left for the next run
        result = dispatch_due()

    assert result["reclaimed"] == 1
    assert TaskResult.objects.count() == 0
    lost.refresh_from_db()
    assert lost.status == ReminderStatus.PENDING
