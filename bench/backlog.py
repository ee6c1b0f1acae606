"""Benchmark 6: a backlog of due reminders, beside django-post-office's queue.

1. Backlog: 5,000 due reminders that nothing has published yet (written in bulk, as
   after an outage or an import), handed over by one ``dispatch_due`` through RabbitMQ
   to a prefork worker (concurrency 2) on MariaDB, delivered into the SMTP sink: emails
   per second from the ``dispatch_due`` publish to the last email at the sink. Each
   batch goes over ``REMINDERS_BATCH_CONNECTIONS`` SMTP connections (the default, 4).
2. Beside it, in the same invocation, on the same MariaDB server and the same sink:
   django-post-office's ``send_queued_mail --processes 2`` on 5,000 queued emails of the
   same size (text and HTML), from the command's start to the last email. The benchmark
   installs django-post-office (pinned below) into a throwaway virtualenv under
   ``BENCH_VAR_DIR`` (``var/bench``, never committed) and runs it from a throwaway
   project there, on its own database beside Lightblog's.
3. The same rounds again with ``REMINDERS_BATCH_CONNECTIONS=1`` (one email in flight
   per pool process, the strictest duplicate window), beside post-office rounds of
   their own: reported, not the target's figure.
4. Single-reminder latency: one welcome-sized reminder due now, created in a transaction
   (the after-commit publish of ``remind``), from the commit to its arrival at the sink;
   ``LATENCY_SAMPLES`` of them one after another, on the same worker.

Target: Lightblog's backlog rate at least 1.0 x post-office's. The rounds alternate
(post-office, Lightblog, ...) so drift on the machine hits both; the ratio is of the
medians.

``run(sink="smtp-sink")`` (``python -m bench.run backlog-sink``, issue #18) is the same
benchmark on Postfix's ``smtp-sink`` (bench/postfix_sink.py), which is not the
bottleneck, with a third sender in every round: the **bare sender**
(bench/bare_sender.py), no database, the same rendered bytes over ``smtplib`` on
``REMINDERS_BATCH_CONNECTIONS`` connections: the limit of the mail leg. Its targets:
Lightblog at least 2.0 x post-office and 0.5 x the bare sender (ratios of medians),
nothing lost or sent twice, the single reminder's p50 at most 10 ms and p95 12 ms.
The one-connection rounds are left to the aiosmtpd variant.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from bench import harness

# BENCH_BACKLOG_N / _ROUNDS / _SAMPLES shorten a run (e.g. one round on older code).
N = int(os.environ.get("BENCH_BACKLOG_N", 5_000))
ROUNDS = int(os.environ.get("BENCH_BACKLOG_ROUNDS", 3))
LATENCY_SAMPLES = int(os.environ.get("BENCH_BACKLOG_SAMPLES", 60))
POST_OFFICE = "django-post-office==3.12.0"
TARGET_RATIO = 1.0
SINKS = ("aiosmtpd", "smtp-sink")
# On smtp-sink (issue #18): x post-office, x the bare sender, single-reminder latency (s).
SINK_TARGET_RATIO = 2.0
SINK_TARGET_BARE = 0.5
SINK_TARGET_P50 = 0.010
SINK_TARGET_P95 = 0.012


# LIGHTBLOG
# ------------------------------------------------------------------------------
def clean() -> None:
    from django_celery_results.models import TaskResult

    from reminders.models import Reminder

    Reminder.objects.all().delete()
    TaskResult.objects.all().delete()


def backlog(n: int, prefix: str) -> list[str]:
    """``n`` pending reminders due a second ago, never published (no signal on bulk_create)."""
    from django.utils import timezone

    from reminders.models import Reminder

    due = timezone.now() - timedelta(seconds=1)
    emails = [f"{prefix}{i}@example.com" for i in range(n)]
    Reminder.objects.bulk_create(
        (
            Reminder(
                email=email,
                subject="Welcome!",
                text=WELCOME_TEXT,
                date=due,
                next_attempt_at=due,
            )
            for email in emails
        ),
        batch_size=1000,
    )
    return emails


WELCOME_TEXT = (
    "Hello reader,\n\nwelcome to Lightblog! Your account is ready: write your first post, "
    "comment on others' and choose the tags you follow.\n\nSee you soon,\nLightblog"
)


def lightblog_backlog(app, sink: harness.Sink, n: int, prefix: str, worker_pid: int) -> dict:
    """Publish ``dispatch_due`` once and time until the sink has every email.

    While due reminders remain that no message carries (only with a dispatch_due that
    publishes fewer per run than the backlog), ``dispatch_due`` is published again, as
    beat would a minute later: the figure is then the pipeline's, not beat's interval.
    """
    from reminders.models import Reminder, ReminderStatus

    emails = backlog(n, prefix)
    sink.handler.clear()
    cpu = CPU(worker_pid).__enter__()
    started = time.monotonic()
    app.send_task("reminders.tasks.dispatch_due")
    unpublished = Reminder.objects.filter(status=ReminderStatus.PENDING, enqueued_at__isnull=True)
    last_dispatch = started
    deadline = started + 900
    while sink.handler.count() < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {sink.handler.count()} of {n} emails after 900 s")
        if time.monotonic() - last_dispatch > 1 and unpublished.exists():
            app.send_task("reminders.tasks.dispatch_due")
            last_dispatch = time.monotonic()
        time.sleep(0.02)
    cpu.__exit__(None, None, None)
    result = tally(sink, emails, started)
    result["sender_cpu_ms"] = cpu.sender / n * 1000
    result["database_cpu_ms"] = cpu.database / n * 1000
    return result


def tally(sink: harness.Sink, emails: list[str], started: float) -> dict:
    wanted = set(emails)
    arrivals = [(at, to) for at, to, _ in sink.handler.snapshot() if to in wanted]
    received = [to for _, to in arrivals]
    first = min(at for at, _ in arrivals)
    last = max(at for at, _ in arrivals)
    n = len(emails)
    return {
        "seconds": last - started,
        "per_s": n / (last - started),
        "first_email_s": first - started,
        "per_s_first_to_last": (n - 1) / (last - first) if last > first else float("nan"),
        "lost": n - len(set(received)),
        "duplicates": len(received) - len(set(received)),
    }


def single_latency(sink: harness.Sink, samples: int) -> list[float]:
    """Seconds from the commit of a reminder due now to its email at the sink."""
    from django.db import transaction

    from reminders.services import reminder_create

    latencies = []
    for i in range(samples):
        email = f"single-{uuid.uuid4().hex[:8]}-{i}@example.com"
        before = sink.handler.count()
        with transaction.atomic():
            reminder_create(email=email, text=WELCOME_TEXT, date=_now())
        committed = time.monotonic()  # the on_commit publish ran inside the block's exit
        if not sink.handler.wait_for(before + 1, timeout=60):
            raise TimeoutError(f"the single reminder {email} never arrived")
        at = next(at for at, to, _ in sink.handler.snapshot() if to == email)
        latencies.append(at - committed)
        time.sleep(0.1)
    return latencies


def _now():
    from django.utils import timezone

    return timezone.now()


class CPU:
    """CPU seconds spent during a block by the sender (the worker's process tree, or
    the post-office command and its pool: children of this process) and by MariaDB."""

    def __init__(self, worker_pid: int | None = None) -> None:
        import psutil

        self.worker = psutil.Process(worker_pid) if worker_pid else None
        self.mariadb = [
            p for p in psutil.process_iter(["name"]) if p.info["name"] in ("mariadbd", "mysqld")
        ]

    @staticmethod
    def _seconds(processes) -> float:
        import psutil

        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def _sender(self) -> float:
        if self.worker is None:
            times = os.times()
            return times.children_user + times.children_system
        return self._seconds([self.worker, *self.worker.children(recursive=True)])

    def __enter__(self) -> CPU:
        self.start = (self._sender(), self._seconds(self.mariadb))
        return self

    def __exit__(self, *exc: object) -> None:
        self.sender = self._sender() - self.start[0]
        self.database = self._seconds(self.mariadb) - self.start[1]


# DJANGO-POST-OFFICE, IN ITS OWN VIRTUALENV
# ------------------------------------------------------------------------------
POST_OFFICE_SETTINGS = """
SECRET_KEY = "bench-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "post_office"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.mysql", "NAME": {name!r}, "USER": {user!r},
    "PASSWORD": {password!r}, "HOST": {host!r}, "PORT": {port!r},
    "OPTIONS": {{"charset": "utf8mb4"}},
}}}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(__import__("os").environ["SINK_PORT"])
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = "Lightblog <noreply@localhost>"
LOGGING = {{"version": 1, "root": {{"level": "WARNING"}}}}
# post-office's defaults otherwise: BATCH_SIZE 100, THREADS_PER_PROCESS 5, LOG_LEVEL 2.
"""

QUEUE_SCRIPT = """
import json, sys
import django
django.setup()
from post_office.models import Email, Log, STATUS
Log.objects.all().delete()
Email.objects.all().delete()
spec = json.load(open(sys.argv[1]))
Email.objects.bulk_create(
    [Email(from_email=spec["from"], to=[to], subject=spec["subject"], message=spec["text"],
           html_message=spec["html"], status=STATUS.queued) for to in spec["to"]],
    batch_size=1000,
)
print(Email.objects.filter(status=STATUS.queued).count())
"""

COUNT_SCRIPT = """
import django
django.setup()
from post_office.models import Email, STATUS
print(Email.objects.filter(status=STATUS.sent).count())
"""


class PostOffice:
    """django-post-office in a throwaway virtualenv and project under ``VAR_DIR``."""

    def __init__(self) -> None:
        from importlib.metadata import version

        import django

        self.requirements = [
            POST_OFFICE,
            f"Django=={django.get_version()}",
            f"mysqlclient=={version('mysqlclient')}",
        ]
        tag = POST_OFFICE.split("==")[1]
        self.venv = harness.VAR_DIR / f"post-office-{tag}-venv"
        self.project = harness.VAR_DIR / "post-office-project"
        self.python = self.venv / "bin" / "python"

    def install(self) -> None:
        """Create the virtualenv once per version; the project and its database each time."""
        stamp = self.venv / "requirements.txt"
        wanted = "\n".join(self.requirements) + "\n"
        if not (stamp.exists() and stamp.read_text() == wanted):
            print(f"installing {', '.join(self.requirements)} into {self.venv}", flush=True)
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.venv)], check=True)
            subprocess.run(
                [str(self.python), "-m", "pip", "install", "--quiet", *self.requirements],
                check=True,
            )
            stamp.write_text(wanted)
        self.project.mkdir(parents=True, exist_ok=True)
        # Its own database on the same server, named after the benchmark's.
        base, name = harness.DATABASE_URL.rsplit("/", 1)
        url = f"{base}/{name}_post_office"
        harness.create_database(url)
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        (self.project / "po_settings.py").write_text(
            POST_OFFICE_SETTINGS.format(
                name=f"{name}_post_office",
                user=parts.username or "root",
                password=parts.password or "",
                host=parts.hostname or "127.0.0.1",
                port=str(parts.port or 3306),
            )
        )
        (self.project / "po_queue.py").write_text(QUEUE_SCRIPT)
        (self.project / "po_count.py").write_text(COUNT_SCRIPT)
        self.run("-m", "django", "migrate", "--verbosity", "0", sink_port=0)

    def env(self, sink_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VIRTUAL_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="po_settings",
            PYTHONPATH=str(self.project),
            SINK_PORT=str(sink_port),
            PYTHONUNBUFFERED="1",
        )
        return env

    def run(self, *args: str, sink_port: int) -> str:
        done = subprocess.run(
            [str(self.python), *args],
            cwd=self.project,
            env=self.env(sink_port),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"post-office {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def queue(self, emails: list[str], message: dict) -> None:
        spec = self.project / "spec.json"
        spec.write_text(json.dumps({**message, "to": emails}))
        queued = int(
            self.run(str(self.project / "po_queue.py"), str(spec), sink_port=0).split()[-1]
        )
        assert queued == len(emails), f"post-office queued {queued} of {len(emails)}"

    def send(self, sink: harness.Sink, emails: list[str]) -> dict:
        """``send_queued_mail --processes 2``, timed from its start to the last email."""
        sink.handler.clear()
        lockfile = self.project / f"send-{uuid.uuid4().hex[:6]}"
        started = time.monotonic()
        with CPU() as cpu:
            self.run(
                "-m",
                "django",
                "send_queued_mail",
                "--processes",
                "2",
                "--lockfile",
                str(lockfile),
                sink_port=sink.port,
            )
        exited = time.monotonic()
        if not sink.handler.wait_for(len(emails), timeout=60):
            raise TimeoutError(f"post-office: {sink.handler.count()} of {len(emails)} emails")
        result = tally(sink, emails, started)
        result["command_s"] = exited - started
        result["sender_cpu_ms"] = cpu.sender / len(emails) * 1000
        result["database_cpu_ms"] = cpu.database / len(emails) * 1000
        sent = int(self.run(str(self.project / "po_count.py"), sink_port=0).split()[-1])
        result["marked_sent"] = sent
        return result


def reference_message() -> dict:
    """A reminder's email as Lightblog renders it: post-office sends the same bytes."""
    from reminders.models import Reminder
    from reminders.services import reminder_email

    message = reminder_email(
        Reminder(email="x@example.com", subject="Welcome!", text=WELCOME_TEXT, date=_now())
    )
    return {
        "from": message.from_email,
        "subject": message.subject,
        "text": message.body,
        "html": message.alternatives[0][0],
    }


def reference_bytes() -> bytes:
    """A reminder's whole message as Lightblog's SMTP backend puts it on the wire."""
    from reminders.models import Reminder
    from reminders.services import reminder_email

    reminder = Reminder(email="x@example.com", subject="Welcome!", text=WELCOME_TEXT, date=_now())
    return reminder_email(reminder).message().as_bytes(linesep="\r\n")


# THE BARE SENDER (THE LIMIT ROW)
# ------------------------------------------------------------------------------
def bare_send(sink, message: bytes, emails: list[str], connections: int) -> dict:
    """bench/bare_sender.py: ``emails`` over ``connections``, from its "go" to the last
    email at the sink; CPU as the sender reports it (its start-up left out)."""
    message_file = harness.VAR_DIR / "bare-message.eml"
    recipients_file = harness.VAR_DIR / "bare-recipients.txt"
    message_file.write_bytes(message)
    recipients_file.write_text("\n".join(emails))
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "bench.bare_sender", str(sink.port), str(connections)),
            *(str(message_file), str(recipients_file)),
        ],
        cwd=harness.BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the bare sender did not start ({process.wait()})")
    sink.handler.clear()
    with CPU() as cpu:
        started = time.monotonic()
        process.stdin.write("go\n")
        process.stdin.flush()
        report = json.loads(process.stdout.readline())
        process.wait()
    if not sink.handler.wait_for(len(emails), timeout=60):
        raise TimeoutError(f"bare sender: {sink.handler.count()} of {len(emails)} emails")
    result = tally(sink, emails, started)
    result["sender_cpu_ms"] = report["cpu_s"] / len(emails) * 1000
    result["database_cpu_ms"] = cpu.database / len(emails) * 1000
    return result


# THE RUN
# ------------------------------------------------------------------------------
HEADERS = [
    "sender",
    "round",
    "emails",
    "seconds",
    "emails/s",
    "first email s",
    "first→last/s",
    "sender CPU ms/email",
    "MariaDB CPU ms/email",
    "sink",
]


def round_row(name: str, r: int, n: int, result: dict) -> list[str]:
    return [
        name,
        str(r + 1),
        f"{n:,}",
        f"{result['seconds']:.2f}",
        f"{result['per_s']:.0f}",
        f"{result['first_email_s']:.2f}",
        f"{result['per_s_first_to_last']:.0f}",
        f"{result['sender_cpu_ms']:.2f}",
        f"{result['database_cpu_ms']:.2f}",
        f"lost={result['lost']} duplicates={result['duplicates']}",
    ]


def run(
    n: int = N, rounds: int = ROUNDS, samples: int = LATENCY_SAMPLES, sink: str = "aiosmtpd"
) -> list[harness.Result]:
    """Benchmark 6 into aiosmtpd (the target of 1.0 x post-office, and the
    one-connection rounds), or into Postfix's smtp-sink with the bare sender's rounds
    and issue #18's targets."""
    from django.conf import settings

    if sink not in SINKS:
        raise ValueError(f"sink must be one of {SINKS}, not {sink!r}")
    on_postfix = sink == "smtp-sink"
    if on_postfix:
        from bench import postfix_sink

        open_sink = postfix_sink.smtp_sink
        raw_message = reference_bytes()
    else:
        open_sink = harness.smtp_sink

    post_office = PostOffice()
    post_office.install()
    message = reference_message()
    url = harness.AMQP_URL
    clean()
    harness.purge(url)
    app = harness.celery_client(url)
    connections = settings.REMINDERS_BATCH_CONNECTIONS

    bare: list[dict] = []

    def rounds_against_post_office(sink, worker, label: str) -> tuple[list, list]:
        ours, theirs = [], []
        for r in range(rounds):
            emails = [f"po{r}-{i}@example.com" for i in range(n)]
            post_office.queue(emails, message)
            theirs.append(post_office.send(sink, emails))
            print(f"round {r + 1}: post-office {theirs[-1]['per_s']:.0f}/s", flush=True)
            clean()
            ours.append(
                lightblog_backlog(app, sink, n, prefix=f"{label}{r}-", worker_pid=worker.pid)
            )
            print(f"round {r + 1}: {label} {ours[-1]['per_s']:.0f}/s", flush=True)
            clean()
            if on_postfix:
                emails = [f"bare{r}-{i}@example.com" for i in range(n)]
                bare.append(bare_send(sink, raw_message, emails, connections))
                print(f"round {r + 1}: bare sender {bare[-1]['per_s']:.0f}/s", flush=True)
        return ours, theirs

    strict: list[dict] = []
    theirs_strict: list[dict] = []
    with open_sink() as sink:
        with harness.worker(broker_url=url, sink=sink) as worker:
            latencies = single_latency(sink, 5)  # warm: imports, connections, pool processes
            ours, theirs = rounds_against_post_office(sink, worker, "lightblog")
            latencies = single_latency(sink, samples)
            clean()
        # The strictest setting (one connection per batch: one email in flight per pool
        # process), against post-office rounds of its own.
        if not on_postfix:
            with harness.worker(
                broker_url=url, sink=sink, REMINDERS_BATCH_CONNECTIONS="1"
            ) as worker:
                single_latency(sink, 5)
                strict, theirs_strict = rounds_against_post_office(sink, worker, "one-connection")
    if on_postfix:
        return postfix_results(n, rounds, samples, ours, theirs, bare, latencies, connections)

    our_rate = statistics.median(r["per_s"] for r in ours)
    their_rate = statistics.median(r["per_s"] for r in theirs)
    ratio = our_rate / their_rate
    strict_rate = statistics.median(r["per_s"] for r in strict)
    strict_ratio = strict_rate / statistics.median(r["per_s"] for r in theirs_strict)
    p50 = harness.percentile(latencies, 50)
    p95 = harness.percentile(latencies, 95)
    batch_size = getattr(settings, "REMINDERS_BATCH_SIZE", None)

    def row(name: str, r: int, result: dict) -> list[str]:
        return round_row(name, r, n, result)

    rows = []
    post_office_name = f"post-office {POST_OFFICE.split('==')[1]}"
    for r in range(rounds):
        rows.append(row(post_office_name, r, theirs[r]))
        rows.append(row(f"Lightblog, {connections} connections a batch", r, ours[r]))
    for r in range(rounds):
        rows.append(row(post_office_name, r, theirs_strict[r]))
        rows.append(row("Lightblog, 1 connection a batch", r, strict[r]))
    problems = [
        f"{name} round {r + 1}: lost={res['lost']} duplicates={res['duplicates']}"
        for name, results in (
            ("Lightblog", ours),
            ("Lightblog, 1 connection", strict),
            ("post-office", theirs + theirs_strict),
        )
        for r, res in enumerate(results)
        if res["lost"] or res["duplicates"]
    ]
    notes = [
        f"Lightblog: dispatch_due published once through RabbitMQ; worker prefork, "
        f"concurrency 2, REMINDERS_BATCH_SIZE={batch_size}, REMINDERS_BATCH_CONNECTIONS="
        f"{connections} (each batch over that many SMTP connections at once, each sending "
        "its next email only after the last one's sent UPDATE returned); each email rendered "
        "from the reminder's templates at send time.",
        f"With REMINDERS_BATCH_CONNECTIONS=1 (one email in flight per pool process), a worker "
        f"of its own, against post-office rounds of its own: median {strict_rate:.0f}/s, "
        f"ratio {strict_ratio:.2f}.",
        f"post-office: `manage.py send_queued_mail --processes 2` with its defaults (batches of "
        f"100, 5 threads a process, a Log row per email), installed in {post_office.venv.name}; "
        "its emails are stored pre-rendered (the same text and HTML bytes).",
        "CPU per email: the sender's (the worker's process tree / the post-office command and "
        "its pool) and MariaDB's, over the same window. Lightblog commits one UPDATE per "
        "accepted email (the duplicate window of one email a connection); post-office one per 50 "
        "at the end.",
        "Both from the trigger (dispatch_due's publish / the command's start, Python start-up "
        "included) to the last email at the sink; 'first→last/s' leaves out the start.",
        f"Single reminder: {samples} reminders due now, one after another, each from its "
        "transaction's commit (the after-commit publish of `remind`) to its arrival at the sink.",
        *problems,
    ]
    figures = {
        "lightblog_per_s": our_rate,
        "post_office_per_s": their_rate,
        "ratio": ratio,
        "single_p50_s": p50,
        "single_p95_s": p95,
        "rounds": {"lightblog": ours, "post_office": theirs},
        "batch_size": batch_size,
        "batch_connections": connections,
        "one_connection": {
            "lightblog_per_s": strict_rate,
            "ratio": strict_ratio,
            "rounds": {"lightblog": strict, "post_office": theirs_strict},
        },
    }
    return [
        harness.Result(
            key="backlog",
            title=f"6. Backlog of {n:,} due reminders beside django-post-office",
            headers=HEADERS,
            rows=rows,
            figures=figures,
            targets=[
                harness.Target(
                    "Lightblog backlog rate ≥ 1.0 x post-office's (ratio of medians)",
                    ratio,
                    TARGET_RATIO,
                ),
            ],
            notes=[
                f"Medians: Lightblog {our_rate:.0f}/s, post-office {their_rate:.0f}/s, "
                f"ratio {ratio:.2f}. Single-reminder latency p50 {p50 * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms.",
                *notes,
            ],
        )
    ]


def postfix_results(
    n: int,
    rounds: int,
    samples: int,
    ours: list[dict],
    theirs: list[dict],
    bare: list[dict],
    latencies: list[float],
    connections: int,
) -> list[harness.Result]:
    """Benchmark 6 on smtp-sink: every round's three senders, issue #18's targets."""
    from django.conf import settings

    def median(results: list[dict], key: str = "per_s") -> float:
        return statistics.median(r[key] for r in results)

    ratio = median(ours) / median(theirs)
    of_bare = median(ours) / median(bare)
    p50 = harness.percentile(latencies, 50)
    p95 = harness.percentile(latencies, 95)
    senders = (
        (f"post-office {POST_OFFICE.split('==')[1]}", theirs),
        (f"Lightblog, {connections} connections a batch", ours),
        (f"bare sender, {connections} connections", bare),
    )
    rows = [round_row(name, r, n, results[r]) for r in range(rounds) for name, results in senders]
    rows += [
        [
            f"**median** {name}",
            "",
            f"{n:,}",
            "",
            f"{median(results):.0f}",
            "",
            f"{median(results, 'per_s_first_to_last'):.0f}",
            f"{median(results, 'sender_cpu_ms'):.2f}",
            f"{median(results, 'database_cpu_ms'):.2f}",
            "",
        ]
        for name, results in senders
    ]
    lost = sum(r["lost"] for _, results in senders for r in results)
    duplicates = sum(r["duplicates"] for _, results in senders for r in results)
    figures = {
        "lightblog_per_s": median(ours),
        "post_office_per_s": median(theirs),
        "bare_per_s": median(bare),
        "ratio": ratio,
        "ratio_to_bare": of_bare,
        "single_p50_s": p50,
        "single_p95_s": p95,
        "lost": lost,
        "duplicates": duplicates,
        "rounds": {"lightblog": ours, "post_office": theirs, "bare": bare},
        "batch_size": settings.REMINDERS_BATCH_SIZE,
        "batch_connections": connections,
    }
    return [
        harness.Result(
            key="backlog_sink",
            title=f"6b. Backlog of {n:,} due reminders on smtp-sink: post-office, bare sender",
            headers=HEADERS,
            rows=rows,
            figures=figures,
            targets=[
                harness.Target(
                    "Lightblog ≥ 2.0 x post-office (ratio of medians)", ratio, SINK_TARGET_RATIO
                ),
                harness.Target(
                    "Lightblog ≥ 0.5 x the bare sender (ratio of medians)",
                    of_bare,
                    SINK_TARGET_BARE,
                ),
                harness.Target(
                    "lost + duplicates = 0, every sender and round",
                    lost + duplicates,
                    0,
                    higher_is_better=False,
                ),
                harness.Target(
                    "single reminder, commit → sink, p50 ≤ 10 ms (s)",
                    p50,
                    SINK_TARGET_P50,
                    higher_is_better=False,
                ),
                harness.Target(
                    "single reminder, commit → sink, p95 ≤ 12 ms (s)",
                    p95,
                    SINK_TARGET_P95,
                    higher_is_better=False,
                ),
            ],
            notes=[
                f"Medians: Lightblog {median(ours):.0f}/s, post-office {median(theirs):.0f}/s, "
                f"bare sender {median(bare):.0f}/s; Lightblog / post-office {ratio:.2f}, "
                f"Lightblog / bare {of_bare:.2f}. Single-reminder latency p50 "
                f"{p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({samples} samples).",
                "Sink: Postfix's smtp-sink (bench/postfix_sink.py), its running counters read "
                "from its pipe (the arrival times), every transaction appended to one dump in "
                "/dev/shm, read after each round for lost and duplicates.",
                f"Bare sender: one process, no database, {connections} smtplib connections "
                "(threads), the message rendered once by reminder_email() and sent to each "
                "recipient as is; timed from its go (Python start-up left out) to the last "
                "email; its CPU is its own process time.",
                f"Lightblog: dispatch_due published once through RabbitMQ; worker prefork, "
                f"concurrency 2, REMINDERS_BATCH_SIZE={settings.REMINDERS_BATCH_SIZE}, "
                f"REMINDERS_BATCH_CONNECTIONS={connections}; post-office: `send_queued_mail "
                "--processes 2` with its defaults, from the command's start; each round runs "
                "post-office, Lightblog, bare in turn.",
                "CPU per email: the sender's (the worker's process tree / the post-office "
                "command and its pool / the bare sender) and MariaDB's (mariadbd's user + "
                "system time from /proc, psutil), over the same window.",
            ],
        )
    ]


if __name__ == "__main__":  # pragma: no cover - python -m bench.backlog
    harness.setup_django()
    description = harness.machine()
    harness.record(run(), description)
