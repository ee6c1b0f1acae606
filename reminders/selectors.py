"""Reads for operators: the state of the pipeline at a glance (``reminders_status``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from .models import Reminder, ReminderStatus


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
