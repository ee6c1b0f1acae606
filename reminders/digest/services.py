"""Sending the weekly digest (the worker's ``digest``), resumable and never twice."""

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

from .. import metrics
from ..mail.smtp import smtp_failure, smtp_send_each
from ..models import DigestRun
from .emails import digest_email

logger = logging.getLogger(__name__)

DIGEST_MAX_POSTS = 50


class DigestInterrupted(Exception):
    """The SMTP server went away mid-run; the run resumes where it stopped."""


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
    sent: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "week": self.week,
            "status": self.status.value,
            "posts": self.posts,
            "sent": self.sent,
        }


def digest_week(now: datetime) -> date:
    """The Monday (in TIME_ZONE) of the week ``now`` falls in: one digest per week."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


def digest_send(*, now: datetime | None = None, week: date | None = None) -> DigestReport:
    """Email the posts published since the last digest to every user who opted in.

    One ``DigestRun`` per week: a second run in the same week finds it finished and
    sends nothing; a run interrupted by the SMTP server resumes after the last
    recipient sent. A run that has sent for ``REMINDERS_DIGEST_DEADLINE`` seconds
    stops after its current chunk and reports ``continued``: the task queues its own
    continuation with ``week``, which resumes that week's run wherever the calendar
    has got to, so no digest outlives the task time limit whatever the number of users.
    Recipients are read ``REMINDERS_DIGEST_CHUNK`` at a time in primary-key order and
    each chunk goes over one SMTP connection, so memory stays flat whatever the number
    of users. Before a chunk is sent its end is recorded with a compare-and-set UPDATE:
    two runs at once never send the same chunk, and a worker killed mid-chunk leaves
    the rest of that chunk unsent (never sent twice).
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

    sent = 0
    deadline = time.monotonic() + settings.REMINDERS_DIGEST_DEADLINE
    while True:
        cursor, chunk = _claim_chunk(run)
        if not chunk:
            break
        sent += _send_chunk(run, posts, cursor, chunk)
        # Checked after a chunk, so every task makes progress; a short chunk was the last.
        if time.monotonic() > deadline and len(chunk) == settings.REMINDERS_DIGEST_CHUNK:
            logger.info("digest: week of %s: %d sent by this task; continuing", week, sent)
            return DigestReport(week, DigestStatus.CONTINUED, len(posts), sent)
    DigestRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    logger.info("digest: week of %s sent to %d users (%d posts)", week, sent, len(posts))
    return DigestReport(week, DigestStatus.SENT, len(posts), sent)


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


def _claim_chunk(run: DigestRun) -> tuple[int | None, list]:
    """The next chunk of recipients, taken with a compare-and-set of the cursor;
    returns the cursor before it too (an empty chunk when everyone has been done)."""
    while True:
        cursor = DigestRun.objects.values_list("last_user_id", flat=True).get(pk=run.pk)
        recipients = blog_selectors.digest_recipients(after=cursor)
        chunk = list(recipients[: settings.REMINDERS_DIGEST_CHUNK])
        if not chunk:
            return cursor, []
        claimed = DigestRun.objects.filter(pk=run.pk, last_user_id=cursor).update(
            last_user_id=chunk[-1].pk
        )
        if claimed:
            return cursor, chunk
        # Another run took this chunk: read the cursor again.


def _send_chunk(run: DigestRun, posts: list, cursor: int | None, chunk: list) -> int:
    """Send a chunk over one SMTP connection (the batched sending of the reminders)."""
    sent = unknown = 0
    done = cursor  # the last recipient dealt with (sent, refused for good, or unknown)
    try:
        for outcome in smtp_send_each(chunk, lambda user: digest_email(run, posts, user)):
            metrics.reply_recorded("digest", outcome)
            if outcome.unknown:
                # The server may have it: dealt with, never sent again; the rest of
                # the chunk is given back below and resumed by the retry.
                unknown += 1
                done = outcome.key.pk
                metrics.email_recorded("digest", "unknown")
                logger.warning(
                    "digest: week of %s: user %s: %r", run.week, outcome.key.pk, outcome.error
                )
                raise DigestInterrupted(outcome.error)
            if not outcome.accepted:
                if outcome.connection_lost or not outcome.permanent:
                    # The server went away, or a 4xx: the server, not the address.
                    metrics.email_recorded("digest", "retry")
                    raise DigestInterrupted(outcome.error)
                # This address is refused for good: skip it, go on.
                metrics.email_recorded("digest", "failed")
                logger.warning("digest: %r", outcome.error)
            else:
                metrics.email_recorded("digest", "sent")
                sent += 1
            done = outcome.key.pk
    except Exception as exc:
        # Give the rest of the chunk back, so the retry starts right after the last
        # user dealt with.
        DigestRun.objects.filter(pk=run.pk, last_user_id=chunk[-1].pk).update(last_user_id=done)
        if isinstance(exc, DigestInterrupted):
            raise
        raise DigestInterrupted(smtp_failure(exc)[1]) from exc
    finally:
        DigestRun.objects.filter(pk=run.pk).update(
            recipients=F("recipients") + sent, outcome_unknown=F("outcome_unknown") + unknown
        )
    return sent
