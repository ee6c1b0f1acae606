"""What the fault tests share: signups over HTTP, the sweep every second, the counts.

``tests/faults/test_faults.py`` (the welcome email) and ``test_account_emails.py``
(allauth's and Django's own emails through the outbox) use these; each test prints
``sent=N lost=N duplicates=N`` per kind of email and asserts on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from reminders.models import MailKind, Reminder, ReminderStatus
from tests.support.polling import wait_until
from tests.support.signup import Registration, captcha_from_store, register
from tests.support.tally import Tally, tally

# The subjects of the two emails every signup sends: the welcome reminder, and
# allauth's address confirmation (English: the signups send no Accept-Language).
WELCOME = "Welcome!"
CONFIRMATION = "[Lightblog] Please Confirm Your Email Address"
SIGNUP_EMAILS = {"welcome": WELCOME, "confirmation": CONFIRMATION}

# All registrations of a test come from 127.0.0.1: allauth's per-address signup limit
# (20 a minute by default) would refuse most of them, as it should for one person.
SIGNUP_LIMIT = {"ACCOUNT_RATE_LIMIT_SIGNUP": "100000/m/ip"}


def sweep_every_second() -> None:
    """dispatch_due every second instead of every minute (the beat schedule is a row)."""
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name="dispatch_due (fault test: every second)",
        defaults={"task": "reminders.tasks.dispatch_due", "interval": every_second},
    )


def count_status(status: str, *, kind: MailKind | None = None) -> int:
    """Rows of the outbox in ``status`` (of one ``kind`` if given)."""
    rows = Reminder.objects.filter(status=status)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return rows.count()


def sending_tasks_in_flight(worker_log: str) -> int:
    """``remind``/``remind_batch`` tasks the worker had received and not finished, by its log.

    With ``acks_late`` and a prefetch of one per process, at most the concurrency. Each
    can leave at most one duplicate (the email the SMTP server accepted just before the
    kill, not yet marked sent): a batch marks each email as the server answers.
    """
    received = re.findall(r"Task reminders\.tasks\.remind\w*\[([0-9a-f-]+)\] received", worker_log)
    finished = set(
        re.findall(
            r"Task reminders\.tasks\.remind\w*\[([0-9a-f-]+)\] (?:succeeded|retry|raised)",
            worker_log,
        )
    )
    return len(set(received) - finished)


def report(result: Tally, *, label: str = "", **extra: object) -> None:
    """Print the tally line (after ``label``, e.g. the kind of email) and the figures."""
    print(f"{label}: {result.report()}" if label else result.report())
    if extra:
        print(" ".join(f"{key}={value}" for key, value in extra.items()))


def tally_signup_emails(messages: list, emails: Iterable[str]) -> dict[str, Tally]:
    """The welcome and the confirmation email of each address, counted apart."""
    emails = list(emails)
    return {
        name: tally(messages, emails, subject=subject) for name, subject in SIGNUP_EMAILS.items()
    }


def answer_in_thread(hashkey: str) -> str:
    """The CAPTCHA answer, read from a thread of a pool: close its connection after."""
    try:
        return captcha_from_store(hashkey)
    finally:
        connections.close_all()


def register_many(base_url: str, prefix: str, count: int, *, parallel: int = 5):
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(
            pool.map(
                lambda i: register(
                    base_url,
                    username=f"{prefix}{i}",
                    email=f"{prefix}{i}@example.com",
                    answer=answer_in_thread,
                ),
                range(count),
            )
        )


def failures(registrations: list[Registration]) -> list[str]:
    return [
        f"{r.username}: {r.status} {r.location} {r.error[:300]}" for r in registrations if not r.ok
    ]


def kill_a_worker_mid_send(
    stack, emails: list[str], *, subject: str, kind: MailKind | None = None, label: str = ""
) -> None:
    """F2's fault and its proof, for any kind of email already pending: a worker sends,
    is SIGKILLed once 300 have arrived, a second worker finishes. Every email arrives
    (``lost == 0``) and at most one per task in flight at the kill arrives twice (the
    email accepted by the server and not yet marked sent)."""
    total = len(emails)
    first = stack.worker(name="worker-1")

    def received() -> int:
        return tally(stack.sink.recorder.messages, emails, subject=subject).sent

    wait_until(lambda: received() >= 300, timeout=240, message="300 emails sent")
    first.kill()
    claims = count_status(ReminderStatus.SENDING, kind=kind)
    in_flight = sending_tasks_in_flight(first.log())
    sent_before_kill = received()

    stack.worker(name="worker-2")
    wait_until(
        lambda: count_status(ReminderStatus.SENT, kind=kind) >= total,
        timeout=420,
        message=f"{total} emails sent",
    )

    result = tally(stack.sink.recorder.messages, emails, subject=subject)
    report(
        result,
        label=label,
        tasks_in_flight_at_kill=in_flight,
        claims_at_kill=claims,
        sent_before_kill=sent_before_kill,
        broker=stack.servers.broker,
    )
    assert result.sent == total
    assert result.lost == 0
    assert in_flight <= 2  # prefork concurrency
    assert result.duplicates <= in_flight
