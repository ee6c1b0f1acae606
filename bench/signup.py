"""Signup cost: the CPU of one signup POST, split into its parts (issue #18).

``SIGNUPS`` registrations through Django's test client in this process, on the
benchmark's MariaDB and RabbitMQ (the welcome reminder is published; no worker takes
it, the queue is purged after), each the way a person signs up: GET the form, read the
CAPTCHA's answer from its store, POST it. Only the POST is measured.

Each part is timed in CPU seconds of this process (``time.process_time``: every
thread, so Argon2's lanes count) by wrapping the functions that do it, and charged to
the innermost part running (a query inside the CAPTCHA's check is the database's):

- password hash: ``make_password`` (Argon2id with the ARGON2_* settings);
- password validation: ``validate_password`` (the four validators);
- CAPTCHA: django-simple-captcha's field check, its queries left out;
- database: every query's client side (``CursorWrapper._execute*``: MySQLdb, the
  round trip's CPU here), and beside it MariaDB's own CPU (mariadbd, from /proc);
- publishing: Celery's ``apply_async`` / ``send_task`` (the welcome reminder's
  after-commit publish);
- session: ``django.contrib.auth.login`` and saving the session;
- account email: allauth's confirmation email built and handed to the email backend
  (the test settings' in-memory backend: no SMTP);
- the rest: the request itself (middleware, forms, allauth's flow, the redirect).
"""

from __future__ import annotations

import functools
import importlib
import statistics
import time
import uuid

from bench import harness

# BENCH_SIGNUP_N shortens a run.
SIGNUPS = int(__import__("os").environ.get("BENCH_SIGNUP_N", 100))
WARM_UP = 5
PASSWORD = "Correct-Horse-Battery-9"

# (part, "module:Class.method" or "module:function") — wrapped for the measurement only.
PARTS = [
    ("password hash", "django.contrib.auth.hashers:make_password"),
    ("password validation", "django.contrib.auth.password_validation:validate_password"),
    ("CAPTCHA", "captcha.fields:CaptchaField.clean"),
    ("database (client side)", "django.db.backends.utils:CursorWrapper._execute"),
    ("database (client side)", "django.db.backends.utils:CursorWrapper._executemany"),
    ("publishing", "celery.app.task:Task.apply_async"),
    ("publishing", "celery.app.base:Celery.send_task"),
    ("session", "django.contrib.auth:login"),
    ("session", "django.contrib.sessions.backends.db:SessionStore.save"),
    ("account email", "django.core.mail.message:EmailMessage.send"),
]
REST = "the rest (request, forms, allauth, templates)"


class Attribution:
    """CPU seconds per part, each interval charged to the innermost part running."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.stack: list[str] = []
        self.mark = time.process_time()

    def _charge(self) -> None:
        now = time.process_time()
        if self.stack:
            part = self.stack[-1]
            self.seconds[part] = self.seconds.get(part, 0.0) + now - self.mark
        self.mark = now

    def enter(self, part: str) -> None:
        self._charge()
        self.stack.append(part)

    def leave(self) -> None:
        self._charge()
        self.stack.pop()

    def reset(self) -> None:
        self.seconds.clear()
        self.stack.clear()
        self.mark = time.process_time()


def _wrap(attribution: Attribution, part: str, target: str) -> tuple[object, str, object]:
    module_name, _, path = target.partition(":")
    owner = importlib.import_module(module_name)
    *classes, name = path.split(".")
    for cls in classes:
        owner = getattr(owner, cls)
    original = getattr(owner, name)

    @functools.wraps(original)
    def measured(*args, **kwargs):
        attribution.enter(part)
        try:
            return original(*args, **kwargs)
        finally:
            attribution.leave()

    setattr(owner, name, measured)
    if not classes:
        # Modules that imported the function by name get the measured one too.
        import sys

        for module in list(sys.modules.values()):
            if getattr(module, name, None) is original:
                setattr(module, name, measured)
    return owner, name, original


# Argon2id parameters compared beside the signups: (label, time, memory KiB, lanes).
HASH_PARAMETERS = [
    ("Django 5.2's defaults (kept)", 2, 102_400, 8),
    ("the same, one lane", 2, 102_400, 1),
    ("OWASP's minimum", 2, 19_456, 1),
]


def hash_costs(rounds: int = 10) -> list[tuple[str, float, float]]:
    """(label, CPU ms, wall ms) of one Argon2id hash, the median of ``rounds``."""
    import argon2

    costs = []
    for label, time_cost, memory_cost, parallelism in HASH_PARAMETERS:
        cpu, wall = [], []
        for i in range(rounds):
            started, cpu_started = time.perf_counter(), time.process_time()
            argon2.low_level.hash_secret(
                PASSWORD.encode(),
                f"saltsalt{i:08d}".encode(),
                time_cost=time_cost,
                memory_cost=memory_cost,
                parallelism=parallelism,
                hash_len=32,
                type=argon2.low_level.Type.ID,
            )
            cpu.append(time.process_time() - cpu_started)
            wall.append(time.perf_counter() - started)
        costs.append((label, statistics.median(cpu) * 1000, statistics.median(wall) * 1000))
    return costs


def signup(client, tag: str, i: int) -> float:
    """GET the form, POST it filled in; returns the POST's CPU seconds."""
    from tests.support.signup import SIGNUP_PATH, _Inputs, captcha_from_store

    page = client.get(SIGNUP_PATH).content.decode()
    inputs = _Inputs()
    inputs.feed(page)
    hashkey = inputs.fields["captcha_0"]
    data = {
        "username": f"cost{tag}{i}",
        "email": f"cost{tag}{i}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "captcha_0": hashkey,
        "captcha_1": captcha_from_store(hashkey),
    }
    started = time.process_time()
    response = client.post(SIGNUP_PATH, data)
    cpu = time.process_time() - started
    if response.status_code != 302 or SIGNUP_PATH in response.get("Location", ""):
        raise RuntimeError(f"signup {i} failed: {response.status_code}")
    return cpu


def run(n: int = SIGNUPS) -> list[harness.Result]:
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher
    from django.test import Client, override_settings

    from bench.sending import CPU

    harness.purge(harness.AMQP_URL)
    attribution = Attribution()
    wrapped = [_wrap(attribution, part, target) for part, target in PARTS]
    limits = {**settings.ACCOUNT_RATE_LIMITS, "signup": "100000/m/ip"}
    tag = uuid.uuid4().hex[:6]
    totals: list[float] = []
    per_part: dict[str, list[float]] = {}
    try:
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ACCOUNT_RATE_LIMITS=limits, ALLOWED_HOSTS=hosts):
            for i in range(WARM_UP):
                signup(Client(), f"w{tag}", i)
            with CPU() as mariadb:
                for i in range(n):
                    client = Client()
                    attribution.reset()
                    totals.append(signup(client, tag, i))
                    for part, seconds in attribution.seconds.items():
                        per_part.setdefault(part, []).append(seconds)
    finally:
        for owner, name, original in wrapped:
            setattr(owner, name, original)
        harness.purge(harness.AMQP_URL)
        from blog.models import User

        User.objects.filter(username__startswith="cost").delete()

    hasher = get_hasher()
    hashes = hash_costs()
    total = statistics.mean(totals) * 1000
    parts = {part: sum(values) / n * 1000 for part, values in per_part.items()}
    parts[REST] = total - sum(parts.values())
    order = [*dict.fromkeys(part for part, _ in PARTS), REST]
    rows = [
        [part, f"{parts.get(part, 0.0):.2f}", f"{parts.get(part, 0.0) / total * 100:.0f}%"]
        for part in order
    ]
    rows.append(["**one signup POST** (mean)", f"{total:.2f}", "100%"])
    rows.append(["(MariaDB's own CPU, beside it)", f"{mariadb.database / n * 1000:.2f}", ""])
    median = statistics.median(totals) * 1000
    return [
        harness.Result(
            key="signup_cost",
            title=f"2b. Signup cost: CPU of one signup POST by part, {n} signups",
            headers=["part", "CPU ms per signup", "share"],
            rows=rows,
            figures={
                "signups": n,
                "post_cpu_ms_mean": total,
                "post_cpu_ms_median": median,
                "parts_ms": parts,
                "mariadb_cpu_ms": mariadb.database / n * 1000,
                "hasher": f"{hasher.algorithm} t={hasher.time_cost} m={hasher.memory_cost} "
                f"p={hasher.parallelism}",
                "hash_ms": {label: {"cpu": c, "wall": w} for label, c, w in hashes},
            },
            notes=[
                f"{n} signups through Django's test client in one process (GET the form, "
                "read the CAPTCHA from its store, POST), after "
                f"{WARM_UP} to warm up; only the POST counted, in CPU time of the process "
                "(time.process_time: Argon2's threads included), each interval charged to "
                "the innermost part running (bench/signup.py lists the functions).",
                f"Hasher {type(hasher).__module__}.{type(hasher).__name__}: "
                f"t={hasher.time_cost}, m={hasher.memory_cost} KiB, p={hasher.parallelism}. "
                f"Median POST {median:.1f} CPU ms.",
                "One Argon2id hash alone (median of 10, CPU / wall ms): "
                + "; ".join(
                    f"{label} (t={t}, m={m:,} KiB, p={p}) {c:.0f} / {w:.0f}"
                    for (label, c, w), (_, t, m, p) in zip(hashes, HASH_PARAMETERS, strict=True)
                )
                + ".",
                "Database: the client side of every query (MySQLdb and Django's cursor); "
                "MariaDB's own CPU over the same signups is the last row, not in the total.",
                f"Account email: allauth's confirmation, built and handed to "
                f"{settings.EMAIL_BACKEND.rsplit('.', 1)[-1]} (no SMTP in the request).",
            ],
        )
    ]
