"""A beat scheduler that several ``celery beat`` processes may run at once.

``CELERY_BEAT_SCHEDULER`` names :class:`LeaderScheduler`: django-celery-beat's
``DatabaseScheduler`` (the schedule stays rows, editable in the admin) whose every
tick first takes or renews the beat lease (``reminders.services.leadership``). The
holder schedules; the others publish nothing and try again every
``REMINDERS_BEAT_LEASE / 3`` seconds, so one takes over at most about 1⅓ leases after
the leader died or hung. Each due entry's ``last_run_at`` is written to the database
*before* its message is published, and a process that becomes leader reads the
schedule afresh: a takeover neither sends again what the old leader sent nor waits
for django-celery-beat's three-minute sync (docs/deployment.md, "Several beats").
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from .services import leadership

logger = logging.getLogger(__name__)


class LeaderScheduler(DatabaseScheduler):
    """``DatabaseScheduler`` that schedules only while it holds the beat lease."""

    def __init__(self, *args, **kwargs) -> None:
        self.holder = leadership.beat_holder_id()
        self.is_leader = False
        self.lease_seconds = float(settings.REMINDERS_BEAT_LEASE)
        super().__init__(*args, **kwargs)
        # Renew at least three times per lease, so a leader never lets it lapse.
        self.max_interval = min(self.max_interval, self.lease_seconds / 3)

    def tick(self, *args, **kwargs) -> float:
        if not self._renew():
            if self.is_leader:
                logger.warning("beat: %s lost the lease; waiting as a follower", self.holder)
                self.is_leader = False
                # What it reserved is already saved; never write older state over
                # the new leader's.
                self._dirty.clear()
            return self.max_interval
        if not self.is_leader:
            logger.info("beat: %s holds the lease and schedules", self.holder)
            self.is_leader = True
            # Read every entry's last_run_at as the previous leader left it.
            self._initial_read = True
            self._heap = None
        return super().tick(*args, **kwargs)

    def reserve(self, entry):
        """Save the entry's new ``last_run_at`` before its message goes out.

        A leader killed between the two loses that one run (the next is due one
        interval later), and never has its successor publish it a second time.

        The schedule holds the new entry too. django-celery-beat leaves the one it
        read there, with the old ``last_run_at``: when a schedule change (another
        beat starting writes its default entries) invalidates the heap, Celery
        rebuilds it from that stale entry, finds it still due and sends it again
        a few milliseconds later.
        """
        new_entry = super().reserve(entry)
        if new_entry.name in self._schedule:
            self._schedule[new_entry.name] = new_entry
        try:
            new_entry.save()
        except Exception:
            logger.exception("beat: could not save the last run of %s", new_entry.name)
        else:
            self._dirty.discard(new_entry.name)
        return new_entry

    def apply_entry(self, entry, producer=None) -> None:
        """Publish only if the lease is still ours, checked after ``reserve`` saved the
        run: a leader that hung past its lease between its tick and this publish
        finds another holder and sends nothing (that one has read the saved run)."""
        if not self._renew():
            logger.warning("beat: %s lost the lease before sending %s", self.holder, entry.name)
            return
        super().apply_entry(entry, producer=producer)

    def _renew(self) -> bool:
        try:
            return leadership.beat_lease_hold(holder=self.holder, seconds=self.lease_seconds)
        except Exception:  # the database is away: schedule nothing, try again soon
            logger.exception("beat: cannot reach the database for the lease; waiting")
            # Drop the dead connection now: Django checks a connection's health only in
            # close_old_connections(), which django-celery-beat calls in a leader's tick
            # and in sync() (every 3 minutes), so a follower would keep failing on it
            # long after the database is back (tests/faults/test_beat_database.py).
            close_old_connections()
            return False

    def close(self) -> None:
        if self.is_leader:
            try:
                leadership.beat_lease_release(holder=self.holder)
                logger.info("beat: %s released the lease", self.holder)
            except Exception:
                logger.exception("beat: could not release the lease")
            self.is_leader = False
        super().close()
