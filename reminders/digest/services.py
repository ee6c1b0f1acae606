"""The weekly digest (the worker's ``digest``): one outbox email per recipient, never twice.

A run writes each chunk of recipients' emails into the outbox in the transaction
that moves the run's cursor past them, so a chunk is queued exactly once whatever
dies when; from there each email is claimed, sent, retried, suppressed and shown to
staff like every other (``reminders.services.batches``, docs/digest.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from blog import selectors as blog_selectors

from ..models import DigestRun, MailKind
from ..services.outbox import outbox_store
from .emails import digest_email

logger = logging.getLogger(__name__)

DIGEST_MAX_POSTS = 50


class DigestInterrupted(Exception):
    """A run stopped before its end (its database went away); the retry resumes it."""


class DigestStatus(StrEnum):
    SENT = "sent"
    EMPTY = "empty"  # no posts that week
    ALREADY_SENT = "already_sent"
    UNKNOWN = "unknown"  # no run for that week to continue
    # Past REMINDERS_DIGEST_DEADLINE: the rest is for the next task.
    CONTINUED = "continued"


@dataclass(frozen=True)
class DigestReport:
    week: str
    status: DigestStatus
    posts: int
    # Emails this run wrote into the outbox (the workers send them).
    queued: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "week": self.week,
            "status": self.status.value,
            "posts": self.posts,
            "queued": self.queued,
        }


def digest_week(now: datetime) -> date:
    """The Monday (in TIME_ZONE) of the week ``now`` falls in: one digest per week."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


def digest_send(*, now: datetime | None = None, week: date | None = None) -> DigestReport:
    """Queue the posts published since the last digest for every user who opted in.

    One ``DigestRun`` per week: a second run in the same week finds it finished and
    queues nothing; an interrupted one resumes after the last recipient queued.
    Recipients are read ``REMINDERS_DIGEST_CHUNK`` at a time in primary-key order, so
    memory stays flat whatever the number of users. A chunk's emails go into the
    outbox in the transaction that moves the run's cursor past them with a
    compare-and-set UPDATE: two runs at once never queue the same chunk, and a worker
    killed mid-chunk leaves it unqueued and the cursor where it was (never twice,
    never lost). A run busy for ``REMINDERS_DIGEST_DEADLINE`` seconds stops after its
    current chunk and reports ``continued``: the task queues its own continuation.
    """
    now = now or timezone.now()
    if week is None:
        run = _digest_run(now)
    else:
        run = DigestRun.objects.filter(week=week).first()
        if run is None:
            logger.warning("digest: no digest of the week of %s to continue", week)
            return DigestReport(week.isoformat(), DigestStatus.UNKNOWN, 0, 0)
    week = run.week.isoformat()
    if run.finished_at is not None:
        logger.info("digest: the week of %s was already sent; nothing to do", week)
        return DigestReport(week, DigestStatus.ALREADY_SENT, run.posts, 0)

    posts = blog_selectors.posts_published_between(
        run.period_start, run.period_end, limit=DIGEST_MAX_POSTS
    )
    if not posts:
        DigestRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        logger.info("digest: no posts published in the week of %s; nothing sent", week)
        return DigestReport(week, DigestStatus.EMPTY, 0, 0)
    DigestRun.objects.filter(pk=run.pk).update(posts=len(posts))

    queued = 0
    deadline = time.monotonic() + settings.REMINDERS_DIGEST_DEADLINE
    while True:
        chunk = _queue_chunk(run, posts)
        if chunk is None:
            break
        queued += chunk
        # Checked after a chunk, so every task makes progress; a short chunk was the last.
        if time.monotonic() > deadline and chunk == settings.REMINDERS_DIGEST_CHUNK:
            logger.info("digest: week of %s: %d queued by this task; continuing", week, queued)
            return DigestReport(week, DigestStatus.CONTINUED, len(posts), queued)
    DigestRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    logger.info("digest: week of %s queued for %d users (%d posts)", week, queued, len(posts))
    return DigestReport(week, DigestStatus.SENT, len(posts), queued)


def _digest_run(now: datetime) -> DigestRun:
    week = digest_week(now)
    run = DigestRun.objects.filter(week=week).first()
    if run is not None:
        return run
    # Posts since the previous digest ended, at most a week back: each post is in
    # one digest however beat's schedule is changed.
    previous = DigestRun.objects.filter(week__lt=week).order_by("-week").first()
    start = now - timedelta(days=7)
    if previous is not None:
        start = max(start, previous.period_end)
    try:
        with transaction.atomic():
            return DigestRun.objects.create(week=week, period_start=start, period_end=now)
    except IntegrityError:  # another run created it a moment ago
        return DigestRun.objects.get(week=week)


def _queue_chunk(run: DigestRun, posts: list) -> int | None:
    """Queue the next chunk of recipients; returns how many, None when everyone has
    been done. The emails are built before the transaction (templates take the CPU),
    then stored in the one that claims the chunk by moving the cursor."""
    while True:
        cursor = DigestRun.objects.values_list("last_user_id", flat=True).get(pk=run.pk)
        chunk = list(
            blog_selectors.digest_recipients(after=cursor)[: settings.REMINDERS_DIGEST_CHUNK]
        )
        if not chunk:
            return None
        messages = [digest_email(run, posts, user) for user in chunk]
        with transaction.atomic():
            claimed = DigestRun.objects.filter(pk=run.pk, last_user_id=cursor).update(
                last_user_id=chunk[-1].pk, recipients=F("recipients") + len(chunk)
            )
            if claimed:
                outbox_store(messages, kind=MailKind.DIGEST, users=chunk)
                return len(chunk)
        # Another run took this chunk: read the cursor again.
