"""The reminders' Prometheus families: events counted where they happen (one increment
per email, no query), state read from the database at scrape time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reminders import metrics
from reminders.mail.smtp import SendOutcome
from reminders.models import Reminder, ReminderStatus
from reminders.services import digest_send, reminder_deliver, reminders_deliver_batch
from tests.factories import PostFactory, UserFactory
from tests.support.outbox import deliver_due

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape() -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.RemindersCollector())
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (SendOutcome("k", True), "2xx"),
        (SendOutcome("k", False, error="x", reply_code=450), "4xx"),
        (SendOutcome("k", False, error="x", reply_code=421, connection_lost=True), "4xx"),
        (SendOutcome("k", False, permanent=True, error="x", reply_code=550), "5xx"),
        (
            SendOutcome("k", False, error="ConnectionRefusedError", connection_lost=True),
            "connection",
        ),
        (SendOutcome("k", False, error="TemplateSyntaxError: bad"), "error"),
    ],
)
def test_reply_class(outcome: SendOutcome, expected: str) -> None:
    assert metrics.reply_class(outcome) == expected


def test_a_batch_counts_each_outcome_its_replies_its_size_and_duration(
    smtp_server, fast_pipeline
) -> None:
    smtp_server.recorder.refuse["busy@example.com"] = "450 4.2.1 Mailbox busy"
    smtp_server.recorder.refuse["nobody@example.com"] = "550 5.1.1 No such user"
    reminders = [
        ReminderFactory(email="one@example.com"),
        ReminderFactory(email="two@example.com"),
        ReminderFactory(email="busy@example.com"),
        ReminderFactory(email="nobody@example.com"),
    ]
    before = {
        status: sample("lightblog_emails_total", kind="reminder", status=status)
        for status in ("sent", "retry", "failed")
    }
    replies = {
        reply: sample("lightblog_smtp_replies_total", kind="reminder", reply=reply)
        for reply in ("2xx", "4xx", "5xx")
    }
    batches = sample("lightblog_reminder_batch_size_count")
    batched = sample("lightblog_reminder_batch_size_sum")
    durations = sample("lightblog_reminder_batch_duration_seconds_count")

    report = reminders_deliver_batch(reminder_ids=[r.pk for r in reminders])

    assert report.sent == 2
    assert sample("lightblog_emails_total", kind="reminder", status="sent") == before["sent"] + 2
    assert sample("lightblog_emails_total", kind="reminder", status="retry") == before["retry"] + 1
    assert (
        sample("lightblog_emails_total", kind="reminder", status="failed") == before["failed"] + 1
    )
    assert (
        sample("lightblog_smtp_replies_total", kind="reminder", reply="2xx") == replies["2xx"] + 2
    )
    assert (
        sample("lightblog_smtp_replies_total", kind="reminder", reply="4xx") == replies["4xx"] + 1
    )
    assert (
        sample("lightblog_smtp_replies_total", kind="reminder", reply="5xx") == replies["5xx"] + 1
    )
    assert sample("lightblog_reminder_batch_size_count") == batches + 1
    assert sample("lightblog_reminder_batch_size_sum") == batched + 4
    assert sample("lightblog_reminder_batch_duration_seconds_count") == durations + 1


def test_a_server_that_is_down_counts_as_connection(smtp_server, fast_pipeline) -> None:
    reminder = ReminderFactory(email="later@example.com")
    smtp_server.stop()
    connection = sample("lightblog_smtp_replies_total", kind="reminder", reply="connection")
    retry = sample("lightblog_emails_total", kind="reminder", status="retry")

    delivery = reminder_deliver(reminder_id=reminder.pk)

    assert delivery.status == "retry"
    assert sample("lightblog_smtp_replies_total", kind="reminder", reply="connection") == (
        connection + 1
    )
    assert sample("lightblog_emails_total", kind="reminder", status="retry") == retry + 1


def test_the_state_comes_from_the_database(django_assert_max_num_queries) -> None:
    now = timezone.now()
    ReminderFactory(date=now - timedelta(minutes=20))
    ReminderFactory(date=now - timedelta(minutes=1))
    ReminderFactory(date=now + timedelta(days=1))  # pending, not due
    sent = ReminderFactory(date=now - timedelta(hours=1))
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT, sent_at=now)
    claimed = ReminderFactory(date=now - timedelta(hours=2))
    Reminder.objects.filter(pk=claimed.pk).update(
        status=ReminderStatus.SENDING, claimed_at=now - timedelta(hours=1)
    )

    # A handful of indexed queries per scrape, however many reminders there are
    # (one more once beat's tick is read).
    with django_assert_max_num_queries(6):
        found = scrape()

    assert found[("lightblog_reminders", (("status", "pending"),))] == 3
    assert found[("lightblog_reminders", (("status", "sent"),))] == 1
    assert found[("lightblog_reminders", (("status", "sending"),))] == 1
    assert found[("lightblog_reminders", (("status", "failed"),))] == 0
    assert found[("lightblog_reminders_outbox", ())] == 4
    assert found[("lightblog_reminders_stale_claims", ())] == 1
    oldest = found[("lightblog_reminders_oldest_due_seconds", ())]
    assert 20 * 60 <= oldest < 21 * 60
    # No digest has run yet: its families wait for the first one.
    assert not any(name.startswith("lightblog_digest_") for name, _ in found)


def test_nothing_due_is_zero_not_absent() -> None:
    ReminderFactory(date=timezone.now() + timedelta(hours=1))

    found = scrape()

    assert found[("lightblog_reminders_oldest_due_seconds", ())] == 0
    assert found[("lightblog_reminders_outbox", ())] == 1


def test_the_digest_counts_its_emails_and_shows_its_progress(smtp_server) -> None:
    _, refused, _ = (UserFactory(receives_digest=True) for _ in range(3))
    smtp_server.recorder.refuse[refused.email] = "550 5.1.1 No such user"
    PostFactory(publish_date=timezone.now() - timedelta(hours=1))
    sent = sample("lightblog_emails_total", kind="digest", status="sent")
    failed = sample("lightblog_emails_total", kind="digest", status="failed")
    refusals = sample("lightblog_smtp_replies_total", kind="digest", reply="5xx")

    report = digest_send()
    deliver_due()

    assert report.queued == 3
    assert sample("lightblog_emails_total", kind="digest", status="sent") == sent + 2
    assert sample("lightblog_emails_total", kind="digest", status="failed") == failed + 1
    assert sample("lightblog_smtp_replies_total", kind="digest", reply="5xx") == refusals + 1
    found = scrape()
    assert found[("lightblog_digest_recipients", ())] == 3
    assert found[("lightblog_digest_posts", ())] == 1
    assert found[("lightblog_digest_finished", ())] == 1
    started = found[("lightblog_digest_started_timestamp_seconds", ())]
    assert abs(started - timezone.now().timestamp()) < 60


@pytest.mark.parametrize(("ago", "expected"), [(200, 200), (None, float("inf"))])
def test_beat_last_tick_age_once_beat_reports_its_tick(monkeypatch, ago, expected) -> None:
    """``reminders.selectors.beat_last_tick()`` comes with beat's lease (issue #15,
    items 4-5); until it exists the family is absent. Here it is given a body that
    answers as that selector will: the time of the last tick, None before the first."""
    from reminders import selectors

    tick = None if ago is None else timezone.now() - timedelta(seconds=ago)
    absent = not hasattr(selectors, "beat_last_tick")
    if absent:
        assert not any(name == "lightblog_beat_last_tick_age_seconds" for name, _ in scrape())
    monkeypatch.setattr(selectors, "beat_last_tick", lambda: tick, raising=False)

    found = scrape()

    age = found[("lightblog_beat_last_tick_age_seconds", ())]
    assert age == expected if ago is None else expected <= age < expected + 30
