"""The beat lease (reminders/services/leadership.py) and ``beat_last_tick``."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reminders.models import BeatLease
from reminders.selectors import beat_last_tick
from reminders.services.leadership import beat_holder_id, beat_lease_hold, beat_lease_release

pytestmark = pytest.mark.django_db


def test_the_first_beat_takes_the_lease_and_the_second_waits() -> None:
    now = timezone.now()

    assert beat_lease_hold(holder="a", seconds=30, now=now) is True
    assert beat_lease_hold(holder="b", seconds=30, now=now + timedelta(seconds=1)) is False

    lease = BeatLease.objects.get()
    assert (lease.holder, lease.expires_at, lease.acquired_at) == (
        "a",
        now + timedelta(seconds=30),
        now,
    )


def test_the_holder_renews_and_keeps_its_start() -> None:
    start = timezone.now()
    beat_lease_hold(holder="a", seconds=30, now=start)
    later = start + timedelta(seconds=25)

    assert beat_lease_hold(holder="a", seconds=30, now=later) is True

    lease = BeatLease.objects.get()
    assert (lease.expires_at, lease.acquired_at, lease.last_tick_at) == (
        later + timedelta(seconds=30),
        start,
        later,
    )
    assert beat_last_tick() == later


def test_another_beat_takes_an_expired_lease_and_the_old_holder_cannot_renew() -> None:
    start = timezone.now()
    beat_lease_hold(holder="a", seconds=30, now=start)
    after_expiry = start + timedelta(seconds=31)

    assert beat_lease_hold(holder="b", seconds=30, now=after_expiry) is True
    # The old leader wakes up from a hang: it is a follower now.
    assert beat_lease_hold(holder="a", seconds=30, now=after_expiry + timedelta(seconds=1)) is False

    lease = BeatLease.objects.get()
    assert (lease.holder, lease.acquired_at) == ("b", after_expiry)


def test_a_released_lease_is_taken_at_once_and_only_the_holder_releases_it() -> None:
    now = timezone.now()
    beat_lease_hold(holder="a", seconds=30, now=now)

    assert beat_lease_release(holder="b") is False
    assert beat_lease_hold(holder="b", seconds=30) is False
    assert beat_lease_release(holder="a") is True
    assert beat_lease_hold(holder="b", seconds=30) is True


def test_no_beat_ever_ran() -> None:
    assert beat_last_tick() is None


def test_holder_ids_differ_per_call_and_name_the_process() -> None:
    first, second = beat_holder_id(), beat_holder_id()
    host, pid, _ = first.split(":")
    assert first != second
    assert pid.isdigit() and host
