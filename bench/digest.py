"""Benchmark 5: the weekly digest to 10,000 and then 100,000 opted-in users.

Emails per second into the SMTP sink, and the worker's peak memory while it sends
(the resident size of the pool process running the task, sampled every 50 ms).
Target: the peak at 100,000 within 10% of the peak at 10,000. Each size runs on a
fresh worker, so neither inherits the other's heap.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from bench import harness

SIZES = (10_000, 100_000)


def opted_in_users(count: int) -> None:
    """Exactly ``count`` users receive the digest (bulk-created, unusable passwords)."""
    from blog.models import User

    User.objects.filter(receives_digest=True).update(receives_digest=False)
    digest_users = User.objects.filter(username__startswith="digest-")
    have = digest_users.count()
    User.objects.bulk_create(
        (
            User(username=f"digest-{i}", email=f"digest-{i}@example.com", password="!")
            for i in range(have, count)
        ),
        batch_size=5000,
    )
    last = digest_users.order_by("pk").values_list("pk", flat=True)[count - 1]
    digest_users.filter(pk__lte=last).update(receives_digest=True)


def posts_this_week() -> None:
    from django.utils import timezone

    from blog.models import Post, User

    now = timezone.now()
    if Post.objects.filter(publish_date__gte=now - timedelta(days=6)).count() >= 5:
        return
    author, _ = User.objects.get_or_create(
        username="bench-author", defaults={"email": "bench-author@example.com"}
    )
    for i in range(5):
        Post.objects.create(
            title=f"Digest post {i}",
            text=f"Post {i} of the week, in *Markdown*.",
            author=author,
            publish_date=now - timedelta(hours=i + 1),
        )


class PeakMemory:
    """Samples the worker's pool processes; ``peak`` is the largest resident size seen."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0
        self.peak_tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                children = self.root.children(recursive=True)
                sizes = [child.memory_info().rss for child in children]
                total = self.root.memory_info().rss + sum(sizes)
            except psutil.Error:
                sizes, total = [], 0
            self.peak = max([self.peak, *sizes])
            self.peak_tree = max(self.peak_tree, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def one_run(users: int) -> dict:
    from reminders.models import DigestRun

    opted_in_users(users)
    DigestRun.objects.all().delete()  # a new week for the digest
    url = harness.AMQP_URL
    harness.purge(url)
    app = harness.celery_client(url)
    with harness.smtp_sink() as sink, harness.worker(broker_url=url, sink=sink) as worker:
        time.sleep(2)  # the pool processes finish importing before the baseline sample
        with PeakMemory(worker.pid) as memory:
            idle = memory.peak
            started = time.monotonic()
            app.send_task("reminders.tasks.digest")
            if not sink.handler.wait_for(users, timeout=3600):
                raise TimeoutError(f"{sink.handler.count()} of {users} digests after an hour")
            last = max(at for at, _, _ in sink.handler.snapshot())
        recipients = {to for _, to, _ in sink.handler.snapshot()}
    return {
        "users": users,
        "emails": sink.handler.count(),
        "distinct": len(recipients),
        "seconds": last - started,
        "emails_per_s": users / (last - started),
        "peak_mb": memory.peak / 2**20,
        "peak_tree_mb": memory.peak_tree / 2**20,
        "idle_mb": idle / 2**20,
    }


def run(sizes: tuple[int, ...] = SIZES) -> list[harness.Result]:
    posts_this_week()
    runs = [one_run(size) for size in sizes]
    small, large = runs[0], runs[-1]
    growth = large["peak_mb"] / small["peak_mb"]
    return [
        harness.Result(
            key="digest",
            title="5. Weekly digest into the SMTP sink (worker prefork, concurrency 2)",
            headers=[
                "opted-in users",
                "emails",
                "seconds",
                "emails/s",
                "pool process peak MB",
                "worker tree peak MB",
            ],
            rows=[
                [
                    f"{r['users']:,}",
                    f"{r['emails']:,}",
                    f"{r['seconds']:.0f}",
                    f"{r['emails_per_s']:.0f}",
                    f"{r['peak_mb']:.1f}",
                    f"{r['peak_tree_mb']:.1f}",
                ]
                for r in runs
            ],
            figures={"runs": runs, "growth": growth},
            targets=[
                harness.Target(
                    f"peak at {large['users']:,} within 10% of {small['users']:,} (ratio)",
                    growth,
                    1.10,
                    higher_is_better=False,
                )
            ],
            notes=[
                "Resident size (RSS) of the pool process that ran the digest, sampled every "
                "50 ms; the tree adds the worker's main process and the other pool process.",
            ],
        )
    ]
