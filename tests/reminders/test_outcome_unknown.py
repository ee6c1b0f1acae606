"""A slow or lost reply to the end of DATA: "outcome unknown", never resent by itself.

The SMTP server (aiosmtpd) stores each message and then waits before it answers the
final dot (``data_reply_delay``), or closes the connection without answering
(``drop_after_data``). Before issue #19 the timeout counted as temporary: each retry
delivered another copy (6 copies, then ``failed``). Now the reply has a timeout of
its own (``REMINDERS_SMTP_DATA_TIMEOUT``), and no reply after the body leaves the
reminder ``unknown``: exactly one copy, and staff decide.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult
from prometheus_client import REGISTRY

from reminders.metrics import RemindersCollector
from reminders.models import AttemptOutcome, DigestRun, MailKind, Reminder, ReminderStatus
from reminders.services import (
    digest_send,
    reminder_deliver,
    reminders_deliver_batch,
    reminders_dispatch_due,
)
from tests.factories import PostFactory, UserFactory
from tests.support.polling import wait_until
from tests.support.tally import tally

from .factories import ReminderFactory
from .test_batch import backlog, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def short_timeouts(settings, fast_pipeline) -> None:
    """Commands time out after 1 s; the reply to DATA after 1 s too unless a test
    gives it longer."""
    settings.EMAIL_TIMEOUT = 1
    settings.REMINDERS_SMTP_DATA_TIMEOUT = 1


def test_a_reply_to_data_slower_than_email_timeout_is_waited_for(
    smtp_server, short_timeouts, settings
) -> None:
    settings.REMINDERS_SMTP_DATA_TIMEOUT = 6
    smtp_server.recorder.data_reply_delay = 2.5  # longer than EMAIL_TIMEOUT (1 s)
    reminder = ReminderFactory(email="patient@example.com")

    delivery = reminder_deliver(reminder_id=reminder.pk)

    reminder.refresh_from_db()
    assert delivery.status == "sent"
    assert reminder.status == ReminderStatus.SENT
    assert len(smtp_server.recorder.to("patient@example.com")) == 1


@pytest.mark.parametrize("fault", ["slow", "dropped"])
def test_no_reply_after_the_body_leaves_the_reminder_unknown_with_one_copy(
    smtp_server, short_timeouts, fault: str
) -> None:
    if fault == "slow":
        smtp_server.recorder.data_reply_delay = 3
    else:
        smtp_server.recorder.drop_after_data = True
    reminder = ReminderFactory(email="maybe@example.com")

    delivery = reminder_deliver(reminder_id=reminder.pk)
    # What a redelivered message, a retry or beat's sweep would do next.
    again = reminder_deliver(reminder_id=reminder.pk)
    later, hour = timezone.now() + timedelta(hours=2), timedelta(hours=1)
    swept = Reminder.objects.to_dispatch(later, hour, hour) | Reminder.objects.stale_claims(
        later, hour
    )

    reminder.refresh_from_db()
    assert delivery.as_dict()["status"] == "outcome_unknown"
    assert delivery.retry_in is None
    assert again.status == "skipped"
    assert not swept.filter(pk=reminder.pk).exists()  # beat's sweep leaves it alone
    assert reminder.status == ReminderStatus.UNKNOWN
    assert reminder.attempts == 1
    assert reminder.claimed_at is None and reminder.claim_token is None
    assert reminder.last_error.startswith("Outcome unknown: no reply after the message was sent")
    assert [a.outcome for a in reminder.attempt_history.all()] == [AttemptOutcome.UNKNOWN]
    assert len(smtp_server.recorder.to("maybe@example.com")) == 1


def test_a_batch_keeps_the_unknown_one_and_retries_the_rest_of_its_lane(
    smtp_server, short_timeouts, settings
) -> None:
    settings.REMINDERS_BATCH_CONNECTIONS = 1
    reminders = backlog(5, prefix="lane")
    smtp_server.recorder.data_reply_delays["lane-1@example.com"] = 3

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    by_email = {r.email: r for r in Reminder.objects.all()}
    assert report.sent == 1
    assert report.unknown == [str(reminders[1].pk)]
    assert sorted(report.retry) == sorted(ids(reminders[2:]))
    assert report.as_dict()["unknown"] == [str(reminders[1].pk)]
    assert by_email["lane-0@example.com"].status == ReminderStatus.SENT
    assert by_email["lane-1@example.com"].status == ReminderStatus.UNKNOWN
    for i in (2, 3, 4):
        rest = by_email[f"lane-{i}@example.com"]
        assert rest.status == ReminderStatus.PENDING, rest.last_error
        assert "waiting for an earlier email's reply" in rest.last_error
    # The server got the first two; the other three never reached it and are not lost.
    assert sorted(m["To"] for m in smtp_server.recorder.messages) == [
        "lane-0@example.com",
        "lane-1@example.com",
    ]

    smtp_server.recorder.data_reply_delays.clear()
    time.sleep(2.1)  # their retry is due (REMINDERS_RETRY_MAX_DELAY = 2)
    retried = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert (retried.sent, retried.claimed) == (3, 3)  # the unknown one is not claimed
    assert len(smtp_server.recorder.to("lane-1@example.com")) == 1
    assert len(smtp_server.recorder.messages) == 5


def test_the_digest_does_not_resend_an_unknown_outcome(
    smtp_server, short_timeouts, settings
) -> None:
    settings.REMINDERS_BATCH_CONNECTIONS = 1
    users = [UserFactory(receives_digest=True) for _ in range(3)]
    PostFactory()
    smtp_server.recorder.data_reply_delays[users[1].email] = 3

    digest_send()
    first = reminders_deliver_batch(reminder_ids=ids(Reminder.objects.all()))
    smtp_server.recorder.data_reply_delays.clear()
    time.sleep(2.1)  # the retry of the one stranded behind it is due
    retried = reminders_deliver_batch(reminder_ids=ids(Reminder.objects.all()))

    received = sorted(str(m["To"]) for m in smtp_server.recorder.messages)
    assert received == sorted(u.email for u in users)  # each once, the unknown one too
    # Those before the unknown one in the batch went out in the first run, those after
    # it in the retry: the batch's order of rows with one date is the database's.
    assert (len(first.unknown), first.sent + retried.sent) == (1, 2)
    unknown = Reminder.objects.get(email=users[1].email)
    assert (unknown.kind, unknown.status) == (MailKind.DIGEST, ReminderStatus.UNKNOWN)
    assert DigestRun.objects.get().recipients == 3


@pytest.mark.worker
def test_through_a_worker_a_slow_reply_to_data_sends_one_copy_and_no_retry(
    celery_worker, smtp_server, short_timeouts
) -> None:
    smtp_server.recorder.data_reply_delays["slow-relay@example.com"] = 3
    reminder = ReminderFactory(email="slow-relay@example.com")

    wait_until(
        lambda: Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.UNKNOWN).exists(),
        timeout=30,
    )
    sentinel = ReminderFactory(email="sentinel@example.com")
    wait_until(
        lambda: Reminder.objects.filter(pk=sentinel.pk, status=ReminderStatus.SENT).exists(),
        timeout=30,
    )
    # Longer than every retry delay of fast_pipeline: a retry would have run by now.
    time.sleep(2.5)

    results = TaskResult.objects.filter(
        task_name="reminders.tasks.remind", task_args__contains=str(reminder.pk)
    )
    assert [r.status for r in results] == ["SUCCESS"]  # never a RETRY
    assert json.loads(results.get().result)["status"] == "outcome_unknown"
    assert len(smtp_server.recorder.to("slow-relay@example.com")) == 1
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.UNKNOWN


def test_unknown_reminders_are_counted_in_the_metrics(smtp_server, short_timeouts) -> None:
    smtp_server.recorder.drop_after_data = True
    reminder = ReminderFactory()
    before = REGISTRY.get_sample_value(
        "lightblog_emails_total", {"kind": "reminder", "status": "unknown"}
    )

    reminder_deliver(reminder_id=reminder.pk)

    after = REGISTRY.get_sample_value(
        "lightblog_emails_total", {"kind": "reminder", "status": "unknown"}
    )
    assert after == (before or 0) + 1
    [family] = [f for f in RemindersCollector().collect() if f.name == "lightblog_reminders"]
    by_status = {sample.labels["status"]: sample.value for sample in family.samples}
    assert by_status["unknown"] == 1


@pytest.mark.worker
def test_prefork_workers_send_a_backlog_with_slow_replies_to_data_once_each(
    worker_process, smtp_server, settings
) -> None:
    """Real prefork pool processes, Django's SMTP backend configured by EMAIL_URL: a
    reply slower than EMAIL_TIMEOUT but within the DATA timeout is waited for, one
    slower than both leaves its email unknown, and nothing goes out twice."""
    settings.REMINDERS_BATCH_SIZE = 10
    reminders = backlog(40, prefix="relay")
    emails = [r.email for r in reminders]
    patient = emails[3:6]  # 1.5 s: past EMAIL_TIMEOUT (1 s), within the DATA timeout (3 s)
    lost = emails[10:13]  # 5 s: past both; the server keeps them all the same
    smtp_server.recorder.data_reply_delays.update(
        {**dict.fromkeys(patient, 1.5), **dict.fromkeys(lost, 5)}
    )
    worker_process(
        EMAIL_TIMEOUT="1",
        REMINDERS_SMTP_DATA_TIMEOUT="3",
        REMINDERS_BATCH_SIZE="10",
        REMINDERS_BATCH_CONNECTIONS="2",
        REMINDERS_RETRY_DELAY="1",
        REMINDERS_RETRY_MAX_DELAY="2",
    )

    reminders_dispatch_due()
    settled = Reminder.objects.filter(status__in=[ReminderStatus.SENT, ReminderStatus.UNKNOWN])
    wait_until(lambda: settled.count() == 40, timeout=120, step=0.2)
    sentinel = ReminderFactory(email="sentinel@example.com")
    wait_until(
        lambda: Reminder.objects.filter(pk=sentinel.pk, status=ReminderStatus.SENT).exists(),
        timeout=60,
    )

    result = tally(smtp_server.recorder.messages, emails)
    print(result.report())
    assert (result.sent, result.lost, result.duplicates) == (40, 0, 0)
    unknown = set(
        Reminder.objects.filter(status=ReminderStatus.UNKNOWN).values_list("email", flat=True)
    )
    assert unknown == set(lost)
    assert Reminder.objects.filter(email__in=patient, status=ReminderStatus.SENT).count() == 3
