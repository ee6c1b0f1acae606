"""Two real ``celery beat`` processes on the site's database (SQLite in the embedded
run): one schedules, the other takes over when it is killed, nothing is sent twice.

The long version, on MariaDB with a hang as well as a kill, is in
tests/faults/test_beats.py.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from config.celery import app as celery_app
from reminders.beat import LeaderScheduler
from reminders.models import BeatLease
from tests.support import beats, processes
from tests.support.polling import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 4
EVERY = 2
ENTRY = "beat test: log every 2 s"


def log_every(seconds: int, name: str) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name=name, task="reminders.tasks.log", args='["beat test"]', interval=interval
    )


def test_two_beats_send_each_interval_once_and_the_survivor_takes_over(
    subprocess_env, tmp_path
) -> None:
    celery_app.control.purge()
    log_every(EVERY, ENTRY)
    env = subprocess_env(REMINDERS_BEAT_LEASE=str(LEASE))
    first = processes.celery_beat(env=env, log_dir=tmp_path, name="beat-a")
    second = processes.celery_beat(env=env, log_dir=tmp_path, name="beat-b")
    try:
        with processes.running(first), processes.running(second):
            first.wait_for_log(processes.BEAT_READY)
            second.wait_for_log(processes.BEAT_READY)
            wait_until(
                lambda: len(beats.sends(first, ENTRY) + beats.sends(second, ENTRY)) >= 3,
                timeout=30,
                message="the leader sends",
            )
            time.sleep(10)
            holder = BeatLease.objects.get().holder
            leader, follower = (
                (first, second) if beats.holder_pid(holder) == first.pid else (second, first)
            )
            leader.kill()
            killed_at = datetime.now()
            time.sleep(3 * LEASE)
            assert BeatLease.objects.get().holder != holder
            wait_until(
                lambda: len(beats.sends(follower, ENTRY)) >= 3,
                timeout=30,
                message="the survivor sends",
            )
    finally:
        celery_app.control.purge()

    before = beats.sends(leader, ENTRY)
    after = beats.sends(follower, ENTRY)
    history = f"killed at {killed_at:%H:%M:%S.%f}\n" + beats.timeline(ENTRY, leader, follower)
    print(history)
    # The follower published nothing while the leader lived...
    assert after and min(after) > killed_at, history
    assert len(before) >= 5, history
    # ...no interval was sent twice (a duplicate is a gap far below the interval)...
    spacing = beats.gaps(before + after)
    assert min(spacing) >= EVERY - 0.5, history
    # ...and the takeover left no gap longer than the bound: twice the lease, plus the
    # interval itself and a tick.
    assert max(spacing) <= 2 * LEASE + EVERY + 1, history
    assert "holds the lease and schedules" in follower.log()


def test_a_schedule_change_between_start_and_the_first_tick_sends_the_entry_once() -> None:
    """Another beat starting writes its default entries (a schedule change) while this
    one starts. The heap rebuilt for that change must hold the entry as it was just
    reserved, not as it was read: a stale copy is still due and is sent a second time,
    a few milliseconds after the first (seen on MariaDB in CI: 41 ms apart)."""
    celery_app.control.purge()
    log_every(60, ENTRY)
    PeriodicTask.objects.filter(name=ENTRY).update(
        last_run_at=timezone.now() - timedelta(minutes=5)
    )
    scheduler = LeaderScheduler(app=celery_app)
    try:
        PeriodicTasks.update_changed()  # what a second beat's start-up writes
        for _ in range(3):
            scheduler.tick()
        task = PeriodicTask.objects.get(name=ENTRY)
        assert task.total_run_count == 1
        assert celery_app.control.purge() == 1
    finally:
        scheduler.close()
        celery_app.control.purge()
