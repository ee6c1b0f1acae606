"""Several beats (issue #15, "Beat may run twice"): two real ``celery beat`` processes
on MariaDB and the broker for about three minutes.

One schedules, the other waits; a periodic task every 2 s is published once per
interval throughout. The leader is first frozen (SIGSTOP: a hung host) past its
lease, and the other takes over; woken up, the old leader finds the lease taken and
sends nothing. Then the new leader is SIGKILLed and the first takes over again. No
interval is sent twice, and no gap between two sends exceeds the bound (twice the
lease plus the interval). The short embedded variant is tests/reminders/test_beat.py.
"""

from __future__ import annotations

import signal
import time
from datetime import datetime

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from reminders.models import BeatLease
from tests.support import beats
from tests.support.polling import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LEASE = 6
EVERY = 2
ENTRY = "fault test: log every 2 s"
BOUND = 2 * LEASE + EVERY + 1


def leader_of(*processes):
    pid = beats.holder_pid(BeatLease.objects.get().holder)
    [leader] = [p for p in processes if p.pid == pid]
    return leader, next(p for p in processes if p is not leader)


def test_two_beats_schedule_once_and_take_over_from_a_hung_then_a_killed_leader(stack) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=EVERY, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name=ENTRY, task="reminders.tasks.log", args='["fault test"]', interval=interval
    )
    first = stack.beat(name="beat-a", REMINDERS_BEAT_LEASE=str(LEASE))
    second = stack.beat(name="beat-b", REMINDERS_BEAT_LEASE=str(LEASE))
    every = (first, second)

    def total() -> int:
        return sum(len(beats.sends(p, ENTRY)) for p in every)

    wait_until(lambda: total() >= 3, timeout=30, message="the leader sends")
    time.sleep(60)
    leader, follower = leader_of(first, second)
    assert beats.sends(follower, ENTRY) == []  # two beats, one schedules

    # A hung leader: frozen past its lease, the follower takes over.
    leader.signal_group(signal.SIGSTOP)
    frozen_at = datetime.now()
    time.sleep(3 * LEASE)
    leader.signal_group(signal.SIGCONT)
    woken_at = datetime.now()
    assert leader_of(first, second)[0] is follower
    leader.wait_for_log("lost the lease", timeout=30)
    time.sleep(30)
    hung, survivor = leader, follower

    # A killed leader: the first one takes over again.
    survivor.kill()
    killed_at = datetime.now()
    time.sleep(30)
    wait_until(lambda: leader_of(first, second)[0] is hung, timeout=BOUND)

    history = (
        f"frozen {frozen_at:%H:%M:%S.%f} woken {woken_at:%H:%M:%S.%f} "
        f"killed {killed_at:%H:%M:%S.%f}\n" + beats.timeline(ENTRY, *every)
    )
    print(history)
    by_hung, by_survivor = beats.sends(hung, ENTRY), beats.sends(survivor, ENTRY)
    # Woken, the old leader sent nothing while the other held the lease...
    assert not [t for t in by_hung if woken_at <= t <= killed_at], history
    # ...the other sent only from the freeze to its death...
    assert by_survivor and all(frozen_at < t < killed_at for t in by_survivor), history
    # ...and the first resumed after the kill.
    assert [t for t in by_hung if t > killed_at], history
    spacing = beats.gaps(by_hung + by_survivor)
    assert min(spacing) >= EVERY - 0.5, history  # no interval sent twice
    assert max(spacing) <= BOUND, history  # no interval skipped for longer than the bound
    # About one send per interval over the whole run (ticks add a little to each).
    span = (max(by_hung + by_survivor) - min(by_hung + by_survivor)).total_seconds()
    assert span / (EVERY + 0.5) - 2 * BOUND / EVERY <= total() <= span / EVERY + 1, history
