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

import os
import statistics
import time
import uuid
from datetime import timedelta

from bench import harness
from bench.post_office import POST_OFFICE, PostOffice
from bench.sending import CPU, bare_send, tally

# BENCH_BACKLOG_N / _ROUNDS / _SAMPLES shorten a run (e.g. one round on older code).
N = int(os.environ.get("BENCH_BACKLOG_N", 5_000))
ROUNDS = int(os.environ.get("BENCH_BACKLOG_ROUNDS", 3))
LATENCY_SAMPLES = int(os.environ.get("BENCH_BACKLOG_SAMPLES", 60))
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
