"""The weekly digest: its contents, the empty week, the second run, each chunk queued
in the outbox in fixed queries, an SMTP outage that loses and repeats nothing, and a
long run handed from task to task before the time limit."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult

from reminders.models import DigestRun, MailKind, Reminder, ReminderStatus
from reminders.services import digest_send, digest_week
from reminders.tasks import digest
from tests.factories import PostFactory, UserFactory
from tests.support.outbox import deliver_due
from tests.support.polling import wait_until

pytestmark = pytest.mark.django_db


def readers(count: int, **fields) -> list:
    return [UserFactory(receives_digest=True, **fields) for _ in range(count)]


def test_digest_lists_the_weeks_posts_for_readers_who_opted_in(smtp_server, settings) -> None:
    settings.SITE_URL = "https://blog.example.com"
    old = PostFactory(title="Old news", publish_date=timezone.now() - timedelta(days=8))
    first = PostFactory(title="Fresh & new", publish_date=timezone.now() - timedelta(days=2))
    second = PostFactory(title="Newer still", publish_date=timezone.now() - timedelta(hours=1))
    PostFactory(title="Not yet", publish_date=timezone.now() + timedelta(days=1))
    [reader] = readers(1, username="reader")
    UserFactory(receives_digest=False, username="quiet")
    UserFactory(receives_digest=True, is_active=False, username="gone")

    report = digest_send()
    deliver_due()

    assert (report.status, report.posts, report.queued) == ("sent", 2, 1)
    [message] = smtp_server.recorder.messages
    assert message["To"] == reader.email
    assert message["Subject"] == "This week on Lightblog: 2 new posts"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert plain.index("Fresh & new") < plain.index("Newer still")
    assert f"https://blog.example.com{first.get_absolute_url()}" in plain
    assert f'href="https://blog.example.com{second.get_absolute_url()}"' in html
    assert "Fresh &amp; new" in html
    assert old.title not in plain
    assert "Not yet" not in plain
    assert "https://blog.example.com/accounts/settings/" in plain


def test_empty_week_sends_nothing(smtp_server) -> None:
    readers(3)
    PostFactory(publish_date=timezone.now() - timedelta(days=30))

    report = digest_send()

    assert (report.status, report.queued) == ("empty", 0)
    assert not Reminder.objects.filter(kind=MailKind.DIGEST).exists()
    assert DigestRun.objects.get().finished_at is not None


def test_second_run_in_the_same_week_sends_nothing_new(smtp_server) -> None:
    readers(2)
    PostFactory()
    first = digest_send()
    PostFactory()  # published after the first run: it waits for next week's digest

    second = digest_send()
    deliver_due()

    assert (first.status, first.queued) == ("sent", 2)
    assert (second.status, second.queued) == ("already_sent", 0)
    assert len(smtp_server.recorder.messages) == 2


def test_next_weeks_digest_starts_where_the_last_one_ended(smtp_server) -> None:
    readers(1)
    now = timezone.now()
    PostFactory(title="Last week", publish_date=now - timedelta(days=3))
    digest_send(now=now - timedelta(days=1))  # last week's run (same local week or not)
    deliver_due()
    DigestRun.objects.update(week=digest_week(now) - timedelta(days=7))
    PostFactory(title="This week", publish_date=now - timedelta(hours=2))
    smtp_server.recorder.messages.clear()

    report = digest_send(now=now)
    deliver_due()

    plain = smtp_server.recorder.messages[0].get_body(("plain",)).get_content()
    assert report.posts == 1
    assert "This week" in plain
    assert "Last week" not in plain


def test_each_chunk_is_queued_in_fixed_queries(settings, django_assert_num_queries) -> None:
    settings.REMINDERS_DIGEST_CHUNK = 4
    readers(10)
    PostFactory.create_batch(3)

    # The run: look-up, previous run, creation in a savepoint (5); posts with their
    # authors (1) and their count (1); per chunk of 4: cursor, recipients, and in a
    # savepoint the claim and one INSERT of its emails (6 x 3 chunks); the empty last
    # look (2); finishing (1). Not one query per recipient or per post.
    with django_assert_num_queries(5 + 1 + 1 + 6 * 3 + 2 + 1):
        report = digest_send()

    assert report.queued == 10
    rows = Reminder.objects.filter(kind=MailKind.DIGEST)
    assert rows.filter(status=ReminderStatus.PENDING).count() == 10
    assert rows.values("email").distinct().count() == 10


def test_refused_address_fails_alone_and_the_rest_get_it(smtp_server) -> None:
    first, refused, last = readers(3)
    smtp_server.recorder.refuse[refused.email] = "550 5.1.1 No such user"
    PostFactory()

    digest_send()
    report = deliver_due()

    assert report.sent == 2
    assert {m["To"] for m in smtp_server.recorder.messages} == {first.email, last.email}
    failed = Reminder.objects.get(kind=MailKind.DIGEST, email=refused.email)
    assert failed.status == ReminderStatus.FAILED
    assert "550 5.1.1" in failed.last_error


def test_an_smtp_outage_mid_digest_loses_and_repeats_nothing(smtp_server, settings) -> None:
    settings.REMINDERS_BATCH_CONNECTIONS = 1
    users = readers(5)
    PostFactory()

    class ClosingAfter(dict):
        """Accept ``n`` recipients, then answer 421 (closing): the server went away."""

        def __init__(self, n: int) -> None:
            super().__init__()
            self.left = n

        def get(self, key, default=None):
            self.left -= 1
            return "421 4.3.2 Shutting down" if self.left < 0 else None

    smtp_server.recorder.refuse = ClosingAfter(3)
    digest_send()
    first = deliver_due()
    smtp_server.recorder.refuse = {}
    # The retries' delay has passed.
    Reminder.objects.filter(status=ReminderStatus.PENDING).update(next_attempt_at=timezone.now())
    second = deliver_due()

    assert (first.sent, len(first.retry), second.sent) == (3, 2, 2)
    received = [m["To"] for m in smtp_server.recorder.messages]
    assert sorted(received) == sorted(u.email for u in users)  # each exactly once
    assert DigestRun.objects.get().recipients == 5


@pytest.mark.worker
def test_digest_task_through_the_worker(celery_worker, smtp_server) -> None:
    readers(2)
    PostFactory(title="Worker-sent post")

    first = digest.delay()
    first_result = first.get(timeout=30)
    second_result = digest.delay().get(timeout=30)

    assert first_result["status"] == "sent"
    assert first_result["queued"] == 2
    assert second_result["status"] == "already_sent"
    # The worker sends what the digest queued.
    assert len(smtp_server.recorder.wait_for(2)) == 2
    row = TaskResult.objects.get(task_id=first.id)
    assert row.status == "SUCCESS"
    assert json.loads(row.result)["posts"] == 1


def test_a_run_past_its_deadline_hands_the_rest_of_the_week_on(smtp_server, settings) -> None:
    settings.REMINDERS_DIGEST_CHUNK = 2
    settings.REMINDERS_DIGEST_DEADLINE = 0  # past after the first chunk of each run
    users = readers(5)
    PostFactory()

    first = digest_send()
    week = DigestRun.objects.get().week
    second = digest_send(week=week)
    third = digest_send(week=week)

    deliver_due()
    assert [(r.status, r.queued) for r in (first, second, third)] == [
        ("continued", 2),
        ("continued", 2),
        ("sent", 1),
    ]
    received = [m["To"] for m in smtp_server.recorder.messages]
    assert sorted(received) == sorted(u.email for u in users)  # each exactly once
    run = DigestRun.objects.get()
    assert (run.recipients, run.finished_at is not None) == (5, True)
    assert digest_send(week=week).status == "already_sent"


def test_continuing_a_week_without_a_run_sends_nothing(smtp_server) -> None:
    readers(2)
    PostFactory()

    report = digest_send(week=date(2026, 1, 5))

    assert (report.status, report.queued) == ("unknown", 0)
    assert not Reminder.objects.filter(kind=MailKind.DIGEST).exists()
    assert not DigestRun.objects.exists()


@pytest.mark.worker
def test_long_digest_continues_in_new_tasks_through_the_worker(
    celery_worker, smtp_server, settings
) -> None:
    settings.REMINDERS_DIGEST_CHUNK = 2
    settings.REMINDERS_DIGEST_DEADLINE = 0
    users = readers(5)
    PostFactory()

    digest.delay()
    wait_until(lambda: DigestRun.objects.filter(finished_at__isnull=False).exists())

    def digest_results() -> list[dict]:
        rows = TaskResult.objects.filter(task_name="reminders.tasks.digest", status="SUCCESS")
        return [json.loads(row.result) for row in rows]

    results = wait_until(lambda: len(digest_results()) == 3 and digest_results())
    assert sorted((r["status"], r["queued"]) for r in results) == [
        ("continued", 2),
        ("continued", 2),
        ("sent", 1),
    ]
    week = DigestRun.objects.get().week.isoformat()
    assert {r["week"] for r in results} == {week}
    received = [m["To"] for m in smtp_server.recorder.wait_for(5)]
    assert sorted(received) == sorted(u.email for u in users)  # each exactly once
