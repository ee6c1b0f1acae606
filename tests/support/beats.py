"""Several ``celery beat`` processes on one schedule: which one sent what, and when.

Read from each beat's own log ("Scheduler: Sending due task NAME (TASK)", one line per
message published), so the count is what went to the broker, not what a worker ran.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime

from tests.support.processes import ManagedProcess

SENT = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] "
    r"Scheduler: Sending due task (?P<name>.+) \((?P<task>[\w.]+)\)$",
    re.MULTILINE,
)


def sends(process: ManagedProcess, entry: str) -> list[datetime]:
    """When ``process`` published the periodic task named ``entry`` (its local clock)."""
    return [
        datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f")
        for match in SENT.finditer(process.log())
        if match["name"] == entry
    ]


def gaps(times: list[datetime]) -> list[float]:
    """Seconds between consecutive sends, in time order."""
    ordered = sorted(times)
    return [(b - a).total_seconds() for a, b in itertools.pairwise(ordered)]


def holder_pid(holder: str) -> int:
    """The process id in a lease holder's ``host:pid:random``."""
    return int(holder.split(":")[-2])


def timeline(entry: str, *beats: ManagedProcess) -> str:
    """Every send of ``entry`` by every beat, in time order: an assertion's message."""
    rows = sorted((at, beat.name) for beat in beats for at in sends(beat, entry))
    return "\n".join(f"{at:%H:%M:%S.%f} {name}" for at, name in rows)
