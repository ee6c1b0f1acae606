"""Benchmark 1: delivery throughput.

5,000 due reminders through the broker, a prefork worker (concurrency 2), MariaDB and
the SMTP sink: emails per second. Beside it, in the same run, on the same worker and
servers: a no-op task's round trip (publish -> worker -> django-celery-results row).
Target: at least 0.3 of the no-op rate. On RabbitMQ and on Redis.
"""

from __future__ import annotations

import time
from datetime import timedelta

from bench import harness

N = 5_000
WARM_UP = 100


def noop_round_trip(app, n: int) -> float:
    """Publish ``n`` no-op tasks at once; tasks per second until the last result row exists."""
    from django.db.models import Max
    from django_celery_results.models import TaskResult

    TaskResult.objects.filter(task_name="bench.noop").delete()
    started = time.time()
    with app.producer_or_acquire() as producer:
        for _ in range(n):
            app.send_task("bench.noop", producer=producer)
    done = TaskResult.objects.filter(task_name="bench.noop", status="SUCCESS")
    deadline = time.monotonic() + 600
    while done.count() < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done.count()} of {n} no-op results after 600 s")
        time.sleep(0.25)
    last = done.aggregate(last=Max("date_done"))["last"]
    return n / (last.timestamp() - started)


def due_reminders(n: int, prefix: str) -> list[str]:
    """``n`` pending reminders due now, written in bulk (so nothing is published yet)."""
    from django.utils import timezone

    from reminders.models import Reminder

    now = timezone.now() - timedelta(seconds=1)
    reminders = [
        Reminder(
            email=f"{prefix}{i}@example.com",
            subject="Welcome!",
            text="Welcome to Lightblog.",
            date=now,
            next_attempt_at=now,
        )
        for i in range(n)
    ]
    Reminder.objects.bulk_create(reminders, batch_size=1000)
    return [str(reminder.pk) for reminder in reminders]


def deliver(app, sink: harness.Sink, n: int, prefix: str) -> tuple[float, int, int]:
    """Publish ``remind`` for ``n`` due reminders, as the after-commit hook does, and time
    until the sink has every email. Returns (emails per second, lost, duplicates)."""
    ids = due_reminders(n, prefix)
    sink.handler.clear()
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for reminder_id in ids:
            app.send_task("reminders.tasks.remind", args=(reminder_id,), producer=producer)
    if not sink.handler.wait_for(n, timeout=900):
        raise TimeoutError(f"only {sink.handler.count()} of {n} emails after 900 s")
    arrivals = sink.handler.snapshot()
    last = max(at for at, _, _ in arrivals)
    recipients = [to for _, to, _ in arrivals if to.startswith(prefix)]
    lost = n - len(set(recipients))
    duplicates = len(recipients) - len(set(recipients))
    return n / (last - started), lost, duplicates


def clean() -> None:
    from django_celery_results.models import TaskResult

    from reminders.models import Reminder

    Reminder.objects.all().delete()
    TaskResult.objects.all().delete()


def run(n: int = N) -> list[harness.Result]:
    from reminders.models import Reminder  # noqa: F401  (fails early without the app)

    figures: dict[str, dict] = {}
    rows = []
    targets = []
    notes = []
    for broker, url in (("amqp", harness.AMQP_URL), ("redis", harness.REDIS_URL)):
        clean()
        harness.purge(url)
        app = harness.celery_client(url)
        with harness.smtp_sink() as sink, harness.worker(broker_url=url, sink=sink):
            noop_round_trip(app, WARM_UP)  # imports, connections, prefork children warm
            noop = noop_round_trip(app, n)
            emails, lost, duplicates = deliver(app, sink, n, prefix=f"tp-{broker}-")
        ratio = emails / noop
        figures[broker] = {"noop_per_s": noop, "emails_per_s": emails, "ratio": ratio}
        rows.append(
            [
                broker,
                f"{n:,}",
                f"{noop:.0f}",
                f"{emails:.0f}",
                f"{ratio:.2f}",
                f"lost={lost} duplicates={duplicates}",
            ]
        )
        targets.append(harness.Target(f"{broker}: emails/s ≥ 0.3 x no-op/s (ratio)", ratio, 0.3))
        if lost or duplicates:
            notes.append(f"{broker}: {lost} emails lost, {duplicates} duplicated")
        clean()
    notes.append(
        "Both rates on one worker (prefork, concurrency 2, acks_late, prefetch 1, results "
        "in MariaDB with STARTED tracked): the no-op pays broker + result rows, a reminder "
        "also its claim UPDATE, a SELECT, template rendering, one SMTP connection and the "
        "sent UPDATE."
    )
    return [
        harness.Result(
            key="throughput",
            title=f"1. Delivery throughput: {n:,} due reminders",
            headers=["broker", "tasks", "no-op/s", "emails/s", "ratio", "sink"],
            rows=rows,
            figures=figures,
            targets=targets,
            notes=notes,
        )
    ]
