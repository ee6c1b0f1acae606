"""``manage.py setup_periodic_tasks``: the beat schedule, in the database.

Idempotent: a missing task is created, an existing one is left as staff set it in
the admin (``--reset`` puts the defaults back). ``make run`` runs it at every start.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

DISPATCH_DUE = "reminders: dispatch due reminders"
DIGEST = "reminders: weekly digest"
PRUNE_OUTBOX = "reminders: prune the outbox"
# The name celery beat itself uses for this entry, so beat never adds a second one.
BACKEND_CLEANUP = "celery.backend_cleanup"


def crontab(*, minute: str, hour: str, day_of_week: str = "*") -> CrontabSchedule:
    fields = {
        "minute": minute,
        "hour": hour,
        "day_of_week": day_of_week,
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": settings.TIME_ZONE,
    }
    # filter().first(): beat may have created an identical row already.
    return CrontabSchedule.objects.filter(**fields).first() or CrontabSchedule.objects.create(
        **fields
    )


def every_minute() -> IntervalSchedule:
    fields = {"every": 1, "period": IntervalSchedule.MINUTES}
    return IntervalSchedule.objects.filter(**fields).first() or IntervalSchedule.objects.create(
        **fields
    )


class Command(BaseCommand):
    help = "Create the periodic tasks beat runs (idempotent; staff changes are kept)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put the schedule of these tasks back to the defaults.",
        )

    @transaction.atomic
    def handle(self, *args, reset: bool, **options) -> None:
        tasks = {
            DISPATCH_DUE: {
                "task": "reminders.tasks.dispatch_due",
                "interval": every_minute(),
                "crontab": None,
                # A run still queued when the next is due is pointless: drop it.
                "expire_seconds": 55,
                "description": "Every minute: publish reminders that came due, "
                "take back claims of lost workers.",
            },
            DIGEST: {
                "task": "reminders.tasks.digest",
                "interval": None,
                "crontab": crontab(minute="0", hour="10", day_of_week="0"),
                "description": f"Sundays at 10:00 ({settings.TIME_ZONE}): the weekly email "
                "of new posts to users who opted in.",
            },
            PRUNE_OUTBOX: {
                "task": "reminders.tasks.prune_outbox",
                "interval": None,
                "crontab": crontab(minute="30", hour="4"),
                "expire_seconds": 12 * 3600,
                "description": "Daily: delete the account emails and digests that ended "
                "more than REMINDERS_OUTBOX_KEEP_DAYS days ago.",
            },
            BACKEND_CLEANUP: {
                "task": "celery.backend_cleanup",
                "interval": None,
                "crontab": crontab(minute="0", hour="4"),
                "expire_seconds": 12 * 3600,
                "description": "Daily: delete task results older than CELERY_RESULT_EXPIRES.",
            },
        }
        for name, defaults in tasks.items():
            if reset:
                _, created = PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
                outcome = "created" if created else "reset to the defaults"
            else:
                _, created = PeriodicTask.objects.get_or_create(name=name, defaults=defaults)
                outcome = "created" if created else "already there (kept as is)"
            self.stdout.write(f"{name}: {outcome}")
