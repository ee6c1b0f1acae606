"""The Celery wiring: a real worker, the configured broker, results in the database."""

import subprocess
import sys
import time

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from config.celery import app as celery_app
from reminders.tasks import multiply
from tests.conftest import BASE_DIR


@pytest.mark.worker
def test_worker_runs_task_and_result_is_a_task_result_row(celery_worker) -> None:
    result = multiply.delay(6, 7)

    assert result.get(timeout=30) == 42
    row = TaskResult.objects.get(task_id=result.id)
    assert row.status == "SUCCESS"
    assert row.task_name == "reminders.tasks.multiply"
    assert row.task_args == '"(6, 7)"'  # django-celery-results stores the repr as JSON
    assert row.result == "42"


def test_beat_uses_the_database_scheduler() -> None:
    # Issue #15: django-celery-beat's DatabaseScheduler, behind the beat lease.
    from django_celery_beat.schedulers import DatabaseScheduler

    from reminders.beat import LeaderScheduler

    assert celery_app.conf.beat_scheduler == "reminders.beat:LeaderScheduler"
    assert issubclass(LeaderScheduler, DatabaseScheduler)


@pytest.mark.worker
def test_beat_starts_and_sends_a_due_periodic_task(subprocess_env) -> None:
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="beat smoke test",
        task="reminders.tasks.log",
        interval=every_second,
        args='["beat is ticking"]',
    )

    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "--max-interval",
            "1",
            "-s",
            str(BASE_DIR / "var" / "test-beat-schedule"),
        ],
        cwd=BASE_DIR,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = beat.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Sending due task beat smoke test (reminders.tasks.log)" in line:
                break
    finally:
        beat.terminate()
        beat.wait(timeout=30)

    log = "".join(output)
    # Issue #15: django-celery-beat's DatabaseScheduler behind the beat lease.
    assert "reminders.beat.LeaderScheduler" in log
    assert "Sending due task beat smoke test (reminders.tasks.log)" in log
