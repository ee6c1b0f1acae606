"""Reads for operators: the state of the pipeline at a glance (``reminders_status``),
and when beat last ticked (the metrics read it too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from .models import BeatLease, Reminder, ReminderStatus
from .services.leadership import BEAT_LEASE_NAME


@dataclass(frozen=True)
class PipelineStatus:
    counts: dict[str, int]
    oldest_due: Reminder | None
    stale_claims: int
    failed: list[Reminder]

    def oldest_due_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_due is None else now - self.oldest_due.next_attempt_at


def reminders_pipeline_status(*, now: datetime, failed_limit: int = 10) -> PipelineStatus:
    """Counts by status, the pending reminder due longest, lost claims, latest failures."""
    by_status = dict(Reminder.objects.order_by().values_list("status").annotate(count=Count("pk")))
    return PipelineStatus(
        counts={status: by_status.get(status, 0) for status in ReminderStatus.values},
        oldest_due=Reminder.objects.due(now).order_by("next_attempt_at").first(),
        stale_claims=Reminder.objects.stale_claims(
            now, timedelta(seconds=settings.REMINDERS_LEASE)
        ).count(),
        failed=list(
            Reminder.objects.filter(status=ReminderStatus.FAILED).order_by("-updated")[
                :failed_limit
            ]
        ),
    )


def beat_lease() -> BeatLease | None:
    """The beat lease row: who schedules, since when, its last tick; None before any
    beat ran on this database."""
    return BeatLease.objects.filter(name=BEAT_LEASE_NAME).first()


def beat_last_tick() -> datetime | None:
    """When the scheduling beat last ticked (its lease's heartbeat), or None if no
    beat ever ran. A leader ticks at least every ``REMINDERS_BEAT_LEASE / 3`` s."""
    return (
        BeatLease.objects.filter(name=BEAT_LEASE_NAME)
        .values_list("last_tick_at", flat=True)
        .first()
    )
