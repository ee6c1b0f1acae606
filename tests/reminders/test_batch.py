"""Batched sending of a backlog: one claim UPDATE per batch, sent over
``REMINDERS_BATCH_CONNECTIONS`` SMTP connections (lanes), and every per-reminder
guarantee of ``remind`` kept inside it.

The services first (in the test process, against the real database and SMTP server),
then the pipeline through a real worker: in a thread for the refusals, and as real
prefork subprocesses for two workers racing over one backlog and for a worker killed
with SIGKILL in the middle of a batch.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone
from django_celery_results.models import TaskResult

from reminders.models import Reminder, ReminderAttempt, ReminderStatus
from reminders.services import (
    reminder_chunks,
    reminders_claim_batch,
    reminders_deliver_batch,
    reminders_dispatch_due,
    reminders_publish,
    reminders_send_again,
    reminders_send_now,
)
from reminders.tasks import dispatch_due
from tests.support.polling import wait_until
from tests.support.tally import tally

from .conftest import slow_data
from .factories import ReminderFactory


def backlog(count: int, prefix: str = "backlog") -> list[Reminder]:
    """``count`` pending reminders due now that nothing published (bulk_create sends no
    signal), in the order their dates put them: what an outage leaves behind."""
    now = timezone.now() - timedelta(seconds=5)
    reminders = [
        Reminder(
            email=f"{prefix}-{i}@example.com",
            text=f"Hello reader {i}.",
            date=now + timedelta(milliseconds=i),
            next_attempt_at=now + timedelta(milliseconds=i),
        )
        for i in range(count)
    ]
    Reminder.objects.bulk_create(reminders, batch_size=500)
    return reminders


def ids(reminders: list[Reminder]) -> list[str]:
    return [str(reminder.pk) for reminder in reminders]


def statuses(reminders: list[Reminder]) -> list[tuple[str, int]]:
    """(status, attempts) of each of ``reminders``, read afresh, in their order."""
    rows = Reminder.objects.filter(pk__in=[r.pk for r in reminders])
    found = {
        pk: (status, attempts)
        for pk, status, attempts in rows.values_list("pk", "status", "attempts")
    }
    return [found[r.pk] for r in reminders]


# THE CLAIM
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_batch_claim_is_one_update_and_reads_back_only_its_rows(
    django_assert_num_queries,
) -> None:
    reminders = backlog(6)
    taken_by_another = reminders[1]
    Reminder.objects.filter(pk=taken_by_another.pk).update(
        status=ReminderStatus.SENDING, claim_token=uuid.uuid4(), claimed_at=timezone.now()
    )
    not_due = reminders[2]
    Reminder.objects.filter(pk=not_due.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    pks = [reminder.pk for reminder in reminders]

    # UPDATE ... SET status = 'sending', claim_token = %s, attempts = attempts + 1
    # WHERE id IN (...) AND status = 'pending' AND next_attempt_at <= now; then the rows
    # stamped with this token. Never one query per reminder.
    with django_assert_num_queries(2):
        first = reminders_claim_batch(reminder_ids=pks, token=uuid.uuid4())
    with django_assert_num_queries(1):
        second = reminders_claim_batch(reminder_ids=pks, token=uuid.uuid4())

    assert [r.pk for r in first] == [pks[0], *pks[3:]]  # in the order given
    assert {(r.status, r.attempts) for r in first} == {(ReminderStatus.SENDING, 1)}
    assert len({r.claim_token for r in first}) == 1
    assert second == []
    taken_by_another.refresh_from_db()
    assert taken_by_another.attempts == 0  # the other worker's claim is untouched


@pytest.mark.django_db
def test_batch_in_a_transaction_sends_over_one_connection_and_marks_each_sent(
    counting_smtp, django_assert_num_queries
) -> None:
    # Inside a transaction (this test's) the lanes' own connections could not see the
    # uncommitted claim: the batch goes over one connection, whatever the setting says.
    assert transaction.get_connection().in_atomic_block
    reminders = backlog(5)
    sent = ReminderFactory(email="already@example.com")
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)

    # The claim and its read-back (2), the suppression list for the batch (1), one
    # "sent" UPDATE per email (5), and one INSERT of the batch's attempt history
    # (issue #15: per batch, not per email): nothing else.
    with django_assert_num_queries(2 + 1 + 5 + 1):
        report = reminders_deliver_batch(reminder_ids=[*ids(reminders), str(sent.pk)])

    assert report.as_dict() == {
        "given": 6,
        "claimed": 5,
        "skipped": 1,
        "sent": 5,
        "failed": [],
        "retry": [],
        "unknown": [],
        "suppressed": [],
        "released": 0,
        "connections": 1,
    }
    assert counting_smtp.recorder.sessions == 1
    assert [m["To"] for m in counting_smtp.recorder.messages] == [r.email for r in reminders]
    assert statuses(reminders) == [(ReminderStatus.SENT, 1)] * 5
    assert not Reminder.objects.exclude(claim_token=None).exists()
    assert sorted(ReminderAttempt.objects.values_list("reminder_id", "outcome", "smtp_reply")) == (
        sorted((r.pk, "sent", "") for r in reminders)
    )
    message = counting_smtp.recorder.messages[0]
    assert message["Message-ID"].strip() == Reminder.objects.get(pk=reminders[0].pk).message_id
    assert "Hello reader 0." in message.get_body(("plain",)).get_content()
    assert "<p>Hello reader 0.</p>" in message.get_body(("html",)).get_content()


def record_lanes(smtp_server) -> list[tuple[tuple, str, set[str]]]:
    """Make the server note, as each email arrives: its connection (the client's
    address), its recipient, and which recipients are recorded ``sent`` at that moment
    (read on a database connection of the server's own)."""
    recorder = smtp_server.recorder
    accept = type(recorder).handle_DATA
    arrivals: list[tuple[tuple, str, set[str]]] = []

    def sent_now() -> set[str]:
        try:
            return set(
                Reminder.objects.filter(status=ReminderStatus.SENT).values_list("email", flat=True)
            )
        finally:
            connections.close_all()  # this runs in the SMTP server's thread

    async def handle_DATA(server, session, envelope):
        from asgiref.sync import sync_to_async

        sent = await sync_to_async(sent_now, thread_sensitive=False)()
        arrivals.append((session.peer, envelope.rcpt_tos[0], sent))
        return await accept(recorder, server, session, envelope)

    recorder.handle_DATA = handle_DATA
    return arrivals


@pytest.mark.django_db(transaction=True)
def test_each_reminder_is_marked_sent_before_the_next_email_goes_out(smtp_server, settings) -> None:
    """The duplicate window of a connection is one email: when the server receives email
    k, the k - 1 before it are already recorded as sent (read on another connection)."""
    settings.REMINDERS_BATCH_CONNECTIONS = 1
    reminders = backlog(4)
    arrivals = record_lanes(smtp_server)

    reminders_deliver_batch(reminder_ids=ids(reminders))

    assert [len(sent) for _, _, sent in arrivals] == [0, 1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_lanes_send_a_batch_over_several_connections_each_one_email_at_a_time(
    smtp_server, settings
) -> None:
    """Three lanes: the batch dealt round-robin to three connections at once; on each,
    every email before this one is recorded sent when the server receives it, so each
    connection has at most one accepted-but-unrecorded email, as a single lane has."""
    settings.REMINDERS_BATCH_CONNECTIONS = 3
    reminders = backlog(12)
    arrivals = record_lanes(smtp_server)

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert (report.claimed, report.sent, report.connections) == (12, 12, 3)
    assert report.as_dict()["connections"] == 3
    by_connection: dict[tuple, list[str]] = {}
    for peer, recipient, sent in arrivals:
        earlier = by_connection.setdefault(peer, [])
        assert set(earlier) <= sent, f"{recipient} went out before {earlier} were recorded"
        assert recipient not in sent
        earlier.append(recipient)
    lanes = sorted(by_connection.values())
    assert lanes == sorted([r.email for r in reminders[start::3]] for start in range(3))
    assert statuses(reminders) == [(ReminderStatus.SENT, 1)] * 12
    assert tally(smtp_server.recorder.messages, [r.email for r in reminders]).line == (
        "sent=12 lost=0 duplicates=0"
    )


@pytest.mark.django_db(transaction=True)
def test_a_lane_that_loses_its_connection_fails_only_its_own_rest(smtp_server, settings) -> None:
    """Lane 0 (reminders 0, 2, 4, 6) meets a 421 at reminder 2: 2, 4 and 6 are retried;
    lane 1 (1, 3, 5, 7) has a 550 at reminder 3 and goes on over its connection."""
    settings.REMINDERS_BATCH_CONNECTIONS = 2
    settings.REMINDERS_RETRY_DELAY = 60
    reminders = backlog(8)
    smtp_server.recorder.refuse[reminders[2].email] = "421 4.3.2 Shutting down"
    smtp_server.recorder.refuse[reminders[3].email] = "550 5.1.1 No such user"

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert report.connections == 2
    assert report.sent == 4  # 0 in lane 0; 1, 5, 7 in lane 1
    assert report.failed == [str(reminders[3].pk)]
    assert sorted(report.retry) == sorted(ids([reminders[2], reminders[4], reminders[6]]))
    assert statuses(reminders) == [
        (ReminderStatus.SENT, 1),
        (ReminderStatus.SENT, 1),
        (ReminderStatus.PENDING, 1),
        (ReminderStatus.FAILED, 1),
        (ReminderStatus.PENDING, 1),
        (ReminderStatus.SENT, 1),
        (ReminderStatus.PENDING, 1),
        (ReminderStatus.SENT, 1),
    ]
    assert not Reminder.objects.exclude(claim_token=None).exists()


@pytest.mark.django_db(transaction=True)
def test_lanes_past_the_deadline_hand_back_every_lanes_unsent_rest(smtp_server, settings) -> None:
    settings.REMINDERS_BATCH_CONNECTIONS = 3
    settings.REMINDERS_BATCH_DEADLINE = 1
    slow_data(smtp_server, 0.4)  # each lane gets through about 3 of its 10 in 1 s
    reminders = backlog(30)

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert report.connections == 3
    assert 3 <= report.sent < 30
    assert report.sent + report.released == 30
    counted = statuses(reminders)
    assert counted.count((ReminderStatus.SENT, 1)) == report.sent
    assert counted.count((ReminderStatus.PENDING, 0)) == report.released  # uncounted
    assert len(smtp_server.recorder.messages) == report.sent


@pytest.mark.django_db
def test_refusals_are_each_reminders_own_outcome(counting_smtp, settings) -> None:
    settings.REMINDERS_RETRY_DELAY = 60
    reminders = backlog(5)
    gone, busy = reminders[1], reminders[3]
    counting_smtp.recorder.refuse[gone.email] = "550 5.1.1 No such user"
    counting_smtp.recorder.refuse[busy.email] = "451 4.3.0 Try later"

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert (report.sent, report.failed, report.retry) == (3, [str(gone.pk)], [str(busy.pk)])
    assert 48 <= report.retry_in <= 60
    assert counting_smtp.recorder.sessions == 1  # the refusals did not end the connection
    gone.refresh_from_db()
    busy.refresh_from_db()
    assert (gone.status, gone.attempts) == (ReminderStatus.FAILED, 1)
    assert "550 5.1.1 No such user" in gone.last_error
    assert (busy.status, busy.attempts) == (ReminderStatus.PENDING, 1)
    assert "451 4.3.0 Try later" in busy.last_error
    assert busy.next_attempt_at > timezone.now() + timedelta(seconds=40)
    assert busy.enqueued_at is not None  # its retry message is published
    others = [r for r in reminders if r not in (gone, busy)]
    assert statuses(others) == [(ReminderStatus.SENT, 1)] * 3
    # Each reminder's attempt is in its history, with the server's reply (issue #15).
    history = dict(ReminderAttempt.objects.values_list("reminder_id", "outcome"))
    assert history == {
        **{r.pk: "sent" for r in others},
        gone.pk: "failed",
        busy.pk: "retry",
    }
    assert "550 5.1.1 No such user" in gone.attempt_history.get().smtp_reply


@pytest.mark.django_db
def test_connection_closed_mid_batch_fails_the_rest_temporarily(smtp_server) -> None:
    reminders = backlog(5)
    # 421: the server closes the connection; nothing after it can be sent over it.
    smtp_server.recorder.refuse[reminders[2].email] = "421 4.3.2 Shutting down"

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert report.sent == 2
    assert report.retry == ids(reminders[2:])
    assert statuses(reminders) == [(ReminderStatus.SENT, 1)] * 2 + [(ReminderStatus.PENDING, 1)] * 3
    assert all("421" in r.last_error for r in Reminder.objects.filter(status="pending"))


@pytest.mark.django_db
def test_smtp_server_down_fails_the_batch_temporarily(smtp_server) -> None:
    smtp_server.stop()
    reminders = backlog(3)

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert (report.sent, len(report.retry)) == (0, 3)
    assert statuses(reminders) == [(ReminderStatus.PENDING, 1)] * 3
    assert "ConnectionRefusedError" in Reminder.objects.get(pk=reminders[0].pk).last_error


@pytest.mark.django_db
def test_past_the_deadline_the_unsent_rest_is_handed_back_uncounted(smtp_server, settings) -> None:
    settings.REMINDERS_BATCH_DEADLINE = 0  # already past when the first email is due
    reminders = backlog(3)

    report = reminders_deliver_batch(reminder_ids=ids(reminders))

    assert (report.claimed, report.sent, report.released) == (3, 0, 3)
    assert smtp_server.recorder.messages == []
    assert statuses(reminders) == [(ReminderStatus.PENDING, 0)] * 3
    # Due at once and published again (enqueued_at), for the next batch to claim.
    assert not Reminder.objects.filter(enqueued_at=None).exists()
    assert reminders_claim_batch(reminder_ids=[r.pk for r in reminders], token=uuid.uuid4())


@pytest.mark.django_db
def test_bad_and_repeated_ids_are_skipped_and_sent_once(smtp_server) -> None:
    [reminder] = backlog(1)

    report = reminders_deliver_batch(
        reminder_ids=["not-a-uuid", str(reminder.pk), str(reminder.pk), str(uuid.uuid4())]
    )

    assert (report.given, report.claimed, report.sent) == (4, 1, 1)
    assert len(smtp_server.recorder.messages) == 1


# PUBLISHING A BACKLOG
# ------------------------------------------------------------------------------
def test_chunks_follow_the_batch_size(settings) -> None:
    settings.REMINDERS_BATCH_SIZE = 100

    assert [len(chunk) for chunk in reminder_chunks(list(range(250)))] == [100, 100, 50]


@pytest.mark.django_db
def test_dispatch_due_hands_a_backlog_to_batches(settings, django_assert_num_queries) -> None:
    settings.REMINDERS_BATCH_SIZE = 100
    backlog(250)
    soon = ReminderFactory(date=timezone.now() + timedelta(minutes=5))
    Reminder.objects.filter(pk=soon.pk).update(enqueued_at=None)

    # Lost claims' ids, the candidates, one UPDATE of enqueued_at: as for one reminder.
    with django_assert_num_queries(3):
        report = reminders_dispatch_due()

    # Three remind_batch messages for the 250 due, one remind with eta for the later one.
    assert (report.enqueued, report.batches, report.more) == (251, 4, False)
    assert not Reminder.objects.filter(enqueued_at=None).exists()


@pytest.mark.django_db
def test_dispatch_due_says_when_it_left_some_for_the_next_run(settings) -> None:
    settings.REMINDERS_DISPATCH_BATCH = 10
    backlog(15)

    first = reminders_dispatch_due()
    second = reminders_dispatch_due()

    assert (first.enqueued, first.more) == (10, True)
    assert (second.enqueued, second.more) == (5, False)


@pytest.mark.django_db
def test_send_now_on_many_is_one_update_and_publishes_after_commit(
    django_capture_on_commit_callbacks, settings
) -> None:
    settings.REMINDERS_BATCH_SIZE = 2
    later = [ReminderFactory(date=timezone.now() + timedelta(days=2)) for _ in range(3)]
    failed = ReminderFactory()
    Reminder.objects.filter(pk=failed.pk).update(status=ReminderStatus.FAILED, attempts=6)
    sent = ReminderFactory()
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = reminders_send_now(reminders=Reminder.objects.all())

    assert {r.pk for r in change.changed} == {*(r.pk for r in later), failed.pk}
    assert [(r.pk, reason) for r, reason in change.refused] == [
        (sent.pk, "A sent reminder cannot be sent now (use send again).")
    ]
    assert {(r.status, r.attempts, r.enqueued_at) for r in change.changed} == {
        (ReminderStatus.PENDING, 0, None)
    }
    # Issue #15: the dates stay; only the next attempt is now.
    assert {r.date for r in change.changed} == {r.date for r in (*later, failed)}
    assert all(r.next_attempt_at <= timezone.now() for r in change.changed)
    # One callback, not one per reminder: it publishes the four in two batches.
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_send_again_on_many_refuses_pending_ones() -> None:
    sent = ReminderFactory()
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT, attempts=1)
    pending = ReminderFactory()

    change = reminders_send_again(reminders=[sent, pending])

    assert [r.pk for r in change.changed] == [sent.pk]
    assert [r.pk for r, _ in change.refused] == [pending.pk]


# THROUGH A WORKER (in a thread)
# ------------------------------------------------------------------------------
def batch_results() -> list[dict]:
    return [
        json.loads(row.result)
        for row in TaskResult.objects.filter(
            task_name="reminders.tasks.remind_batch", status="SUCCESS"
        )
    ]


def remind_results(reminder: Reminder) -> list[TaskResult]:
    return list(
        TaskResult.objects.filter(
            task_name="reminders.tasks.remind", task_args__contains=str(reminder.pk)
        )
    )


def settled(reminders: list[Reminder], *, pending_ok: bool = False):
    """All of ``reminders`` sent or failed (or waiting for a retry, with ``pending_ok``)."""
    done = {ReminderStatus.SENT, ReminderStatus.FAILED}
    if pending_ok:
        done.add(ReminderStatus.PENDING)

    def check() -> bool:
        return all(status in done for status, _ in statuses(reminders))

    return check


@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_550_mid_batch_ends_failed_while_the_rest_are_sent(celery_worker, counting_smtp) -> None:
    reminders = backlog(7)
    refused = reminders[3]
    counting_smtp.recorder.refuse[refused.email] = "550 5.1.1 No such user"

    report = dispatch_due.apply_async(ignore_result=False).get(timeout=30)
    wait_until(settled(reminders))
    [result] = wait_until(batch_results)

    assert report["batches"] == 1
    assert result["sent"] == 6
    assert result["failed"] == [str(refused.pk)]
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (ReminderStatus.FAILED, 1)
    assert "550 5.1.1 No such user" in refused.last_error
    others = [r for r in reminders if r != refused]
    assert statuses(others) == [(ReminderStatus.SENT, 1)] * 6
    # Seven reminders over the default four lanes: a connection each, none reopened.
    assert result["connections"] == 4
    assert counting_smtp.recorder.sessions == 4
    assert tally(counting_smtp.recorder.messages, [r.email for r in others]).line == (
        "sent=6 lost=0 duplicates=0"
    )
    assert counting_smtp.recorder.to(refused.email) == []
    assert remind_results(refused) == []  # a 5xx is never retried


class RefuseOnce(dict):
    """A refusal table whose entries apply to one RCPT only: the server recovers."""

    def get(self, key, default=None):
        return self.pop(key, default)


@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_4xx_mid_batch_retries_only_that_one(celery_worker, smtp_server) -> None:
    reminders = backlog(7)
    busy = reminders[3]
    smtp_server.recorder.refuse = RefuseOnce({busy.email: "450 4.2.1 Mailbox busy"})

    dispatch_due.apply_async(ignore_result=False).get(timeout=30)
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 7)

    [result] = batch_results()
    assert (result["sent"], result["retry"]) == (6, [str(busy.pk)])
    busy.refresh_from_db()
    assert (busy.status, busy.attempts) == (ReminderStatus.SENT, 2)
    assert "450 4.2.1 Mailbox busy" in busy.last_error
    # The retry is that reminder's own remind message; no other reminder is retried.
    retry = wait_until(lambda: remind_results(busy))
    assert [json.loads(r.result)["status"] for r in retry] == ["sent"]
    assert TaskResult.objects.filter(task_name="reminders.tasks.remind").count() == 1
    others = [r for r in reminders if r != busy]
    assert statuses(others) == [(ReminderStatus.SENT, 1)] * 6
    everyone = tally(smtp_server.recorder.messages, [r.email for r in reminders])
    assert everyone.line == "sent=7 lost=0 duplicates=0"


@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_send_now_on_many_goes_out_in_batches(celery_worker, counting_smtp, settings) -> None:
    settings.REMINDERS_BATCH_SIZE = 10
    reminders = [
        ReminderFactory(date=timezone.now() + timedelta(days=1), email=f"now-{i}@example.com")
        for i in range(25)
    ]

    with transaction.atomic():
        change = reminders_send_now(reminders=reminders)

    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 25)
    results = wait_until(lambda: len(batch_results()) == 3 and batch_results())
    assert len(change.changed) == 25
    assert sorted(r["sent"] for r in results) == [5, 10, 10]
    assert [r["connections"] for r in results] == [4, 4, 4]
    assert counting_smtp.recorder.sessions == 12
    assert tally(counting_smtp.recorder.messages, [r.email for r in reminders]).line == (
        "sent=25 lost=0 duplicates=0"
    )


@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_retry_of_many_goes_in_one_batch(celery_worker, smtp_server) -> None:
    reminders = backlog(4)
    smtp_server.recorder.refuse = RefuseOnce(
        {r.email: "452 4.2.2 Over quota" for r in reminders[1:]}
    )

    reminders_publish([r.pk for r in reminders], eta=None)
    wait_until(lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 4)

    results = wait_until(lambda: len(batch_results()) == 2 and batch_results())
    first, retry = sorted(results, key=lambda r: -r["given"])
    assert (first["sent"], len(first["retry"])) == (1, 3)
    assert (retry["given"], retry["sent"]) == (3, 3)
    assert statuses(reminders) == [(ReminderStatus.SENT, 1)] + [(ReminderStatus.SENT, 2)] * 3


# REAL WORKER PROCESSES
# ------------------------------------------------------------------------------
@pytest.mark.worker
def test_backlog_of_500_delivered_exactly_once_by_two_racing_workers(
    worker_process, smtp_server, settings
) -> None:
    settings.REMINDERS_BATCH_SIZE = 100
    reminders = backlog(500)
    workers = [worker_process(name=f"worker-{n}", REMINDERS_BATCH_SIZE="100") for n in (1, 2)]

    report = reminders_dispatch_due()
    # A second dispatcher (or a redelivery) with batches cut elsewhere: every reminder
    # is now in two messages, which the two workers' four processes race to claim.
    pks = [r.pk for r in reminders]
    for chunk in reminder_chunks(pks[50:] + pks[:50]):
        reminders_publish(chunk, eta=None)

    wait_until(
        lambda: Reminder.objects.filter(status=ReminderStatus.SENT).count() == 500, timeout=180
    )
    results = wait_until(lambda: len(batch_results()) == 10 and batch_results(), timeout=60)

    result = tally(smtp_server.recorder.messages, [r.email for r in reminders])
    print(result.report())
    assert report.batches == 5
    assert (result.sent, result.lost, result.duplicates) == (500, 0, 0)
    assert sum(r["claimed"] for r in results) == 500
    assert sum(r["skipped"] for r in results) == 500  # each claimed once, skipped once
    assert statuses(reminders) == [(ReminderStatus.SENT, 1)] * 500
    batch_rows = TaskResult.objects.filter(task_name="reminders.tasks.remind_batch")
    assert {row.worker.split("@")[0].rsplit("-", 1)[0] for row in batch_rows} == {
        "worker-1",
        "worker-2",
    }, "both workers took batches"
    assert all(worker.alive() for worker in workers)


@pytest.mark.worker
def test_sigkill_mid_batch_loses_nothing(worker_process, smtp_server, settings) -> None:
    # The lease, the grace before a lost message is published again and the batch
    # deadline are short here, so the recovery takes seconds; the deadline keeps a
    # live batch well within the lease.
    settings.REMINDERS_BATCH_SIZE = 50
    settings.REMINDERS_LEASE = 8
    settings.REMINDERS_ENQUEUE_GRACE = 4
    settings.REMINDERS_MAX_RETRIES = 5
    short = {
        "REMINDERS_BATCH_SIZE": "50",
        "REMINDERS_BATCH_DEADLINE": "2",
        "REMINDERS_BATCH_CONNECTIONS": "4",
    }
    slow_data(smtp_server, 0.01)
    reminders = backlog(300)
    emails = [r.email for r in reminders]
    first = worker_process(name="worker-1", **short)

    reminders_dispatch_due()
    wait_until(lambda: len(smtp_server.recorder.messages) >= 40, timeout=120)
    first.kill()  # SIGKILL to the worker and its pool, in the middle of its batches
    in_flight = Reminder.objects.filter(status=ReminderStatus.SENDING).count()
    sent_before = len(smtp_server.recorder.messages)

    worker_process(name="worker-2", **short)
    deadline = timezone.now() + timedelta(seconds=180)

    def all_sent() -> bool:
        assert timezone.now() < deadline, "not all sent within 180 s"
        reminders_dispatch_due()  # beat's sweep: reclaims the dead worker's claims
        return Reminder.objects.filter(status=ReminderStatus.SENT).count() == 300

    wait_until(all_sent, timeout=200, step=0.5)

    result = tally(smtp_server.recorder.messages, emails)
    print(result.report(), f"in_flight_at_kill={in_flight} sent_before_kill={sent_before}")
    assert in_flight > 2, "the kill came in the middle of a batch"
    assert (result.sent, result.lost) == (300, 0)
    # At most one accepted-but-unrecorded email per connection: 2 pool processes, each
    # sending a batch over 4 connections.
    assert result.duplicates <= 2 * 4
    lost_claims = Reminder.objects.filter(last_error__contains="worker sending it was lost")
    assert lost_claims.exists()
