"""``manage.py reminders_status``: the pipeline at a glance, and a health check.

Exits non-zero when a reminder has been due for longer than the threshold (workers
or beat are down, or the broker is unreachable), or when beat has not ticked for
``REMINDERS_BEAT_ALERT`` seconds, so a monitor can run it as is.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import Truncator

from reminders.selectors import beat_lease, reminders_pipeline_status


class Command(BaseCommand):
    help = (
        "Print reminder counts by status, the oldest pending due reminder and the failed "
        "ones, and beat's last tick; exit 1 when a reminder has been due longer than the "
        "threshold or beat has been silent longer than REMINDERS_BEAT_ALERT."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--threshold",
            type=int,
            default=None,
            help="Seconds a due reminder may wait (default: REMINDERS_DUE_ALERT).",
        )
        parser.add_argument(
            "--beat-threshold",
            type=int,
            default=None,
            help="Seconds beat may be silent (default: REMINDERS_BEAT_ALERT).",
        )
        parser.add_argument(
            "--failed", type=int, default=10, help="How many failed reminders to list."
        )

    def handle(
        self,
        *args,
        threshold: int | None,
        beat_threshold: int | None,
        failed: int,
        **options,
    ) -> None:
        threshold = settings.REMINDERS_DUE_ALERT if threshold is None else threshold
        if beat_threshold is None:
            beat_threshold = settings.REMINDERS_BEAT_ALERT
        now = timezone.now()
        status = reminders_pipeline_status(now=now, failed_limit=failed)

        self.stdout.write("Reminders by status:")
        for name, count in status.counts.items():
            self.stdout.write(f"  {name:<10} {count}")

        age = status.oldest_due_age(now)
        if status.oldest_due is None:
            self.stdout.write("Oldest pending due: none")
        else:
            reminder = status.oldest_due
            self.stdout.write(
                f"Oldest pending due: {reminder.pk} to {reminder.email}, due "
                f"{reminder.next_attempt_at:%Y-%m-%d %H:%M:%S %Z} "
                f"({age.total_seconds():.0f} s ago, {reminder.attempts} attempts)"
            )
        if status.stale_claims:
            self.stdout.write(
                f"Lost claims (sending for over {settings.REMINDERS_LEASE} s): "
                f"{status.stale_claims}; dispatch_due takes them back"
            )

        self.stdout.write(f"Failed ({status.counts['failed']}, latest {failed}):")
        for reminder in status.failed:
            error = Truncator(reminder.last_error).chars(80)
            self.stdout.write(
                f"  {reminder.pk} {reminder.email} attempts={reminder.attempts} {error}"
            )

        lease = beat_lease()
        beat_silence = None
        if lease is None:
            self.stdout.write("Beat: never ticked on this database")
        else:
            beat_silence = (now - lease.last_tick_at).total_seconds()
            self.stdout.write(
                f"Beat: last tick {lease.last_tick_at:%Y-%m-%d %H:%M:%S %Z} "
                f"({max(beat_silence, 0):.0f} s ago) by {lease.holder}, leader since "
                f"{lease.acquired_at:%Y-%m-%d %H:%M:%S %Z}"
            )

        problems = []
        if age is not None and age.total_seconds() > threshold:
            problems.append(
                f"a reminder has been due for {age.total_seconds():.0f} s "
                f"(threshold {threshold} s): are workers, beat and the broker up?"
            )
        if beat_silence is not None and beat_silence > beat_threshold:
            problems.append(
                f"beat has been silent for {beat_silence:.0f} s (threshold "
                f"{beat_threshold} s): is a `celery beat` running?"
            )
        if problems:
            raise CommandError("UNHEALTHY: " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS("OK"))
