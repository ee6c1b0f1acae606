"""The reminders' Prometheus families (docs/monitoring.md, "The families").

Two kinds, for two reasons:

- **Events** (emails sent, SMTP replies, batch sizes and durations) are counters and
  histograms of ``prometheus_client``, incremented where they happen: in the worker's
  pool processes. With ``PROMETHEUS_MULTIPROC_DIR`` set, each process writes its own
  values to a file in that folder and a scrape adds them up, so the prefork children's
  counts survive their recycling and sum across processes. One increment per email,
  no query.
- **State** (reminders by status, the oldest due, the outbox, the digest's progress,
  beat's last tick) is read from the database when Prometheus scrapes
  (:class:`RemindersCollector`): the database is the one truth every process shares,
  so the value is the same whichever web process answers, and a crashed worker leaves
  no stale gauge behind.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from . import selectors
from .mail.smtp import SendOutcome
from .models import DigestRun, ReminderStatus

logger = logging.getLogger(__name__)

# kind: the outbox row's (reminder, mail, digest); status: sent, retry, failed,
# unknown (no reply after the body was sent: never retried), suppressed (the address
# is on the suppression list: nothing sent).
EMAILS = Counter(
    "lightblog_emails",
    "Emails by kind and outcome of the attempt: sent, retry (a temporary failure), failed.",
    ["kind", "status"],
)
# reply: 2xx, 4xx, 5xx, connection (the server never answered), error (not built).
SMTP_REPLIES = Counter(
    "lightblog_smtp_replies",
    "SMTP servers' answers to each email by reply class.",
    ["kind", "reply"],
)
BATCH_SIZE = Histogram(
    "lightblog_reminder_batch_size",
    "Reminders a remind_batch claimed.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
BATCH_DURATION = Histogram(
    "lightblog_reminder_batch_duration_seconds",
    "Seconds a remind_batch took, from its claim to its last outcome recorded.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def reply_class(outcome: SendOutcome) -> str:
    """``2xx``, ``4xx``, ``5xx``, ``connection`` or ``error`` for one send's outcome."""
    if outcome.accepted:
        return "2xx"
    if outcome.reply_code is not None:
        return f"{outcome.reply_code // 100}xx"
    return "connection" if outcome.connection_lost else "error"


def email_recorded(kind: str, status: str) -> None:
    EMAILS.labels(kind=kind, status=status).inc()


def reply_recorded(kind: str, outcome: SendOutcome) -> None:
    SMTP_REPLIES.labels(kind=kind, reply=reply_class(outcome)).inc()


def _gauge(name: str, documentation: str, value: float, labels: dict | None = None) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


class RemindersCollector:
    """The pipeline's state, read from the database at each scrape (a few indexed
    queries: the counts by status, the oldest due, the stale claims, the last digest,
    beat's tick). A database that does not answer makes
    ``lightblog_reminders_collector_up`` 0 instead of failing the whole scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        try:
            status = selectors.reminders_pipeline_status(now=now, failed_limit=0)
            digest = DigestRun.objects.order_by("-week").first()
            # beat_last_tick() comes with beat's lease (issue #15, items 4-5).
            has_tick = hasattr(selectors, "beat_last_tick")
            tick = selectors.beat_last_tick() if has_tick else None
        except DatabaseError as exc:
            # One line per scrape, no traceback: Prometheus asks every few seconds.
            logger.warning("metrics: the database did not answer: %s: %s", type(exc).__name__, exc)
            yield _gauge("lightblog_reminders_collector_up", "1 when the database answered.", 0)
            return
        yield _gauge("lightblog_reminders_collector_up", "1 when the database answered.", 1)

        by_status = GaugeMetricFamily(
            "lightblog_reminders", "Reminders by status.", labels=["status"]
        )
        for name, count in status.counts.items():
            by_status.add_metric([name], count)
        yield by_status
        outbox = status.counts[ReminderStatus.PENDING] + status.counts[ReminderStatus.SENDING]
        yield _gauge(
            "lightblog_reminders_outbox",
            "Reminders not sent yet: pending (due or not) and sending.",
            outbox,
        )
        age = status.oldest_due_age(now)
        yield _gauge(
            "lightblog_reminders_oldest_due_seconds",
            "Seconds the oldest due pending reminder has waited; 0 when none is due.",
            max(0.0, age.total_seconds()) if age is not None else 0.0,
        )
        yield _gauge(
            "lightblog_reminders_stale_claims",
            "Reminders sending for longer than REMINDERS_LEASE (a lost worker's).",
            status.stale_claims,
        )
        if digest is not None:
            yield from _digest_families(digest)
        if has_tick:
            yield _gauge(
                "lightblog_beat_last_tick_age_seconds",
                "Seconds since beat last ticked; +Inf when it never did.",
                math.inf if tick is None else max(0.0, (now - tick).total_seconds()),
            )


def _digest_families(run: DigestRun) -> Iterator[Metric]:
    yield _gauge(
        "lightblog_digest_recipients",
        "Emails the latest weekly digest has queued so far (the outbox sends them).",
        run.recipients,
    )
    yield _gauge("lightblog_digest_posts", "Posts in the latest weekly digest.", run.posts)
    yield _gauge(
        "lightblog_digest_finished",
        "1 when the latest weekly digest has queued every email, 0 while it is queueing.",
        1 if run.finished_at is not None else 0,
    )
    yield _gauge(
        "lightblog_digest_started_timestamp_seconds",
        "When the latest weekly digest started (Unix time).",
        run.started_at.timestamp(),
    )
