"""The baseline task of benchmark 1: a no-op, round-tripped through the same broker,
worker settings and result backend (django-celery-results) as the reminders."""

from celery import shared_task


@shared_task(name="bench.noop")
def noop() -> None:
    return None
