"""The operators' commands: setup_periodic_tasks and reminders_status."""

import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from reminders.models import BeatLease, Reminder, ReminderStatus
from reminders.services.leadership import beat_lease_hold
from tests.conftest import BASE_DIR

from .factories import ReminderFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# SETUP_PERIODIC_TASKS
# ------------------------------------------------------------------------------
def test_setup_periodic_tasks_creates_the_schedule(settings) -> None:
    settings.TIME_ZONE = "Europe/Paris"

    run("setup_periodic_tasks")

    tasks = {t.task: t for t in PeriodicTask.objects.select_related("crontab", "interval")}
    assert set(tasks) == {
        "reminders.tasks.dispatch_due",
        "reminders.tasks.digest",
        "reminders.tasks.prune_outbox",
        "celery.backend_cleanup",
    }
    dispatch = tasks["reminders.tasks.dispatch_due"]
    assert (dispatch.interval.every, dispatch.interval.period) == (1, "minutes")
    weekly = tasks["reminders.tasks.digest"].crontab
    assert (weekly.minute, weekly.hour, weekly.day_of_week) == ("0", "10", "0")  # Sunday 10:00
    assert (weekly.day_of_month, weekly.month_of_year) == ("*", "*")
    assert str(weekly.timezone) == "Europe/Paris"
    daily = tasks["celery.backend_cleanup"].crontab
    assert (daily.minute, daily.hour, daily.day_of_week) == ("0", "4", "*")
    prune = tasks["reminders.tasks.prune_outbox"].crontab
    assert (prune.minute, prune.hour, prune.day_of_week) == ("30", "4", "*")
    assert all(t.enabled for t in tasks.values())


def test_setup_periodic_tasks_is_idempotent_and_keeps_staff_changes() -> None:
    run("setup_periodic_tasks")
    digest = PeriodicTask.objects.get(task="reminders.tasks.digest")
    digest.enabled = False  # staff switched the digest off in the admin
    digest.save()

    output = run("setup_periodic_tasks")

    assert PeriodicTask.objects.count() == 4
    assert CrontabSchedule.objects.count() == 3
    assert PeriodicTask.objects.get(task="reminders.tasks.digest").enabled is False
    assert output.count("already there (kept as is)") == 4


def test_setup_periodic_tasks_reset_restores_the_defaults() -> None:
    run("setup_periodic_tasks")
    PeriodicTask.objects.filter(task="reminders.tasks.digest").update(
        crontab=CrontabSchedule.objects.create(minute="30", hour="7")
    )

    run("setup_periodic_tasks", "--reset")

    assert PeriodicTask.objects.get(task="reminders.tasks.digest").crontab.hour == "10"


# REMINDERS_STATUS
# ------------------------------------------------------------------------------
def test_status_of_a_healthy_pipeline(settings) -> None:
    settings.REMINDERS_DUE_ALERT = 900
    ReminderFactory(date=timezone.now() + timedelta(days=1))
    failed = ReminderFactory(email="bounced@example.com")
    Reminder.objects.filter(pk=failed.pk).update(
        status=ReminderStatus.FAILED, attempts=1, last_error="550 5.1.1 No such user"
    )
    ReminderFactory(date=timezone.now() - timedelta(seconds=30))  # due, not late

    output = run("reminders_status")

    assert "pending    2" in output
    assert "failed     1" in output
    assert "Oldest pending due: " in output
    assert f"{failed.pk} bounced@example.com attempts=1 550 5.1.1 No such user" in output
    assert output.rstrip().endswith("OK")


def test_status_fails_when_a_due_reminder_waits_too_long(settings) -> None:
    settings.REMINDERS_DUE_ALERT = 900
    late = ReminderFactory(email="late@example.com", date=timezone.now() - timedelta(hours=1))

    with pytest.raises(CommandError, match="UNHEALTHY: a reminder has been due for 36"):
        run("reminders_status")
    output = StringIO()
    with pytest.raises(CommandError):
        call_command("reminders_status", stdout=output)

    assert f"Oldest pending due: {late.pk} to late@example.com" in output.getvalue()
    assert run("reminders_status", "--threshold", "7200").rstrip().endswith("OK")


def test_status_exit_code_in_a_subprocess(subprocess_env, settings) -> None:
    """The exit status a monitor sees (a real `manage.py` process on this database)."""
    ReminderFactory(date=timezone.now() - timedelta(hours=1))
    command = [sys.executable, "manage.py", "reminders_status", "--threshold", "60"]

    late = subprocess.run(command, cwd=BASE_DIR, env=subprocess_env(), capture_output=True)
    ok = subprocess.run(
        [*command[:-1], "86400"], cwd=BASE_DIR, env=subprocess_env(), capture_output=True
    )

    assert late.returncode == 1
    assert b"UNHEALTHY" in late.stderr
    assert ok.returncode == 0


def test_status_reports_beat_and_fails_when_beat_is_silent(settings) -> None:
    settings.REMINDERS_BEAT_ALERT = 180
    now = timezone.now()
    assert "Beat: never ticked on this database" in run("reminders_status")
    beat_lease_hold(holder="host-a:12:abcd", seconds=30, now=now - timedelta(seconds=20))

    output = run("reminders_status")

    assert "Beat: last tick " in output
    assert "(20 s ago) by host-a:12:abcd" in output
    assert output.rstrip().endswith("OK")

    BeatLease.objects.update(last_tick_at=now - timedelta(seconds=400))
    with pytest.raises(CommandError, match=r"UNHEALTHY: beat has been silent for 40[01] s"):
        run("reminders_status")
    assert run("reminders_status", "--beat-threshold", "600").rstrip().endswith("OK")
