"""The password hasher: Django's Argon2id with its parameters read from the settings.

``ARGON2_TIME_COST``, ``ARGON2_MEMORY_COST`` (KiB) and ``ARGON2_PARALLELISM`` default to
Django 5.2's own (t=2, m=102,400 KiB, p=8), above OWASP's minimum for Argon2id (the
choice and its cost: docs/benchmarks.md, "Signup cost"). They are read on each use, so
a hash made with other parameters is upgraded at the user's next login (Django calls
``must_update``). The algorithm name stays ``argon2``: hashes made by Django's class
verify here and the other way round.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import hashers

# OWASP's Password Storage Cheat Sheet: Argon2id configurations of equal strength, each
# "a minimum" (memory KiB, iterations), all with a parallelism of 1; more memory or
# more iterations than one of them is at least as strong.
OWASP_ARGON2ID_MINIMUMS = (
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
)


def argon2_parameters_problem(time_cost: int, memory_cost: int, parallelism: int) -> str | None:
    """Why these Argon2id parameters are weaker than OWASP's minimum, or None."""
    if parallelism < 1:
        return f"ARGON2_PARALLELISM is {parallelism}: Argon2 needs at least 1 lane"
    if any(memory_cost >= m and time_cost >= t for m, t in OWASP_ARGON2ID_MINIMUMS):
        return None
    return (
        f"Argon2id with t={time_cost}, m={memory_cost} KiB is below OWASP's minimum "
        "(m=19,456 KiB with t=2, or an equal configuration such as m=47,104 with t=1 or "
        "m=12,288 with t=3)"
    )


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's Argon2id hasher, its cost parameters from the settings."""

    @property
    def time_cost(self) -> int:
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:
        return settings.ARGON2_MEMORY_COST

    @property
    def parallelism(self) -> int:
        return settings.ARGON2_PARALLELISM
