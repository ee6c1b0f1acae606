"""F6: the SMTP connection cut while the server holds stored messages unanswered.

Issue #19: a timeout or a lost connection *after the body was sent* used to count as
a temporary failure, and each retry delivered another copy. Here the sink stores each
message and takes 3 s to answer its final dot (a busy relay); the test cuts the SMTP
proxy while the worker's two pool processes wait for those replies. The emails in
flight at the cut are ``unknown`` (the server has each once, and nothing sends them
again); the others never reached the server and are retried and delivered once.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from reminders.models import Reminder, ReminderStatus
from reminders.services import reminder_create
from tests.support.polling import wait_until
from tests.support.tally import tally

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

REPLY_DELAY = 3


def test_f6_smtp_cut_while_replies_to_data_are_pending_sends_nothing_twice(stack) -> None:
    stack.sink.recorder.data_reply_delay = REPLY_DELAY
    stack.worker(
        REMINDERS_SMTP_DATA_TIMEOUT="30",  # the cut, not the timeout, ends the wait
        REMINDERS_RETRY_DELAY="2",
        REMINDERS_RETRY_MAX_DELAY="4",
        REMINDERS_MAX_RETRIES="10",
    )

    emails = [f"f6-{i}@example.com" for i in range(10)]
    with transaction.atomic():  # each published after the commit, as a signup's is
        for email in emails:
            reminder_create(email=email, text="Hello from F6.", date=timezone.now())
    # Both pool processes have sent a whole message and wait for its reply.
    wait_until(lambda: len(stack.sink.recorder.messages) >= 2, timeout=60)
    stored_at_cut = {str(m["To"]) for m in stack.sink.recorder.messages}
    stack.proxies.smtp.cut()
    wait_until(
        Reminder.objects.filter(status=ReminderStatus.UNKNOWN).exists,
        timeout=60,
        message="the emails in flight at the cut are unknown",
    )
    # Kept cut until an email not yet sent has failed to connect: it waits for a retry.
    wait_until(
        Reminder.objects.filter(status=ReminderStatus.PENDING, attempts__gte=1).exists,
        timeout=60,
        message="an email not yet sent at the cut failed to connect and waits for its retry",
    )
    stack.sink.recorder.data_reply_delay = 0
    stack.proxies.smtp.restore()

    settled = Reminder.objects.filter(status__in=[ReminderStatus.SENT, ReminderStatus.UNKNOWN])
    wait_until(lambda: settled.count() == 10, timeout=180, message="10 reminders settled")
    result = tally(stack.sink.recorder.messages, emails, subject="Welcome!")
    unknown = set(
        Reminder.objects.filter(status=ReminderStatus.UNKNOWN).values_list("email", flat=True)
    )
    print(result.report(), f"unknown={len(unknown)} stored_at_cut={len(stored_at_cut)}")

    assert (result.sent, result.lost, result.duplicates) == (10, 0, 0)
    assert unknown and unknown <= stored_at_cut  # the server had each of them, once
    for reminder in Reminder.objects.filter(status=ReminderStatus.UNKNOWN):
        assert reminder.attempts == 1
        assert reminder.last_error.startswith("Outcome unknown")
    retried = Reminder.objects.filter(status=ReminderStatus.SENT, attempts__gt=1)
    assert retried.exists(), "emails not yet sent at the cut were retried"
