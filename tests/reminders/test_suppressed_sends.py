"""The pipeline and the suppression list: checked before every send, fed by 5xx
refusals of a recipient, and staff taking an address off it (issue #14, item 3).

Through the pipeline's services and a real SMTP server (aiosmtpd): a single ``remind``,
a batch, the account emails of the outbox and the digest's rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.mail import send_mail
from django.utils import timezone

from reminders.models import (
    DigestRun,
    MailKind,
    Reminder,
    ReminderStatus,
    Suppression,
    SuppressionReason,
)
from reminders.models import SuppressionScope as Scope
from reminders.services import digest_send, reminder_deliver, reminder_send_again
from reminders.suppression import suppress, unsuppress
from tests.factories import PostFactory, UserFactory
from tests.support.outbox import deliver_due

from .factories import ReminderFactory
from .test_batch import backlog, ids

pytestmark = pytest.mark.django_db

MANUAL = {"reason": SuppressionReason.MANUAL, "source": "staff: alice"}


def test_a_suppressed_address_is_not_sent_to_and_never_retried(smtp_server) -> None:
    suppress("Gone@Example.com", **MANUAL)
    reminder = ReminderFactory(email="gone@example.com")

    delivery = reminder_deliver(reminder_id=reminder.pk)
    again = reminder_deliver(reminder_id=reminder.pk)

    reminder.refresh_from_db()
    assert (delivery.status, again.status) == ("suppressed", "skipped")
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SUPPRESSED, 0)
    assert reminder.last_error == "Suppressed: manual (staff: alice)"
    assert smtp_server.recorder.messages == []


def test_a_batch_sends_the_others_and_suppresses_the_one(smtp_server) -> None:
    reminders = backlog(5)
    suppress(reminders[2].email, **MANUAL)

    report = deliver_due()

    assert (report.sent, report.suppressed) == (4, [str(reminders[2].pk)])
    assert reminders[2].email not in {str(m["To"]) for m in smtp_server.recorder.messages}
    assert Reminder.objects.get(pk=reminders[2].pk).status == ReminderStatus.SUPPRESSED


def test_a_digest_only_entry_stops_the_digest_and_not_the_account_emails(smtp_server) -> None:
    reader = UserFactory(receives_digest=True, email="reader@example.com")
    suppress(reader.email, scope=Scope.DIGEST, reason=SuppressionReason.UNSUBSCRIBED, source="x")
    PostFactory()
    digest_send()
    send_mail("Reset your password", "Here is the link.", None, [reader.email])

    deliver_due()

    [received] = smtp_server.recorder.messages
    assert received["Subject"] == "Reset your password"
    digest_row = Reminder.objects.get(kind=MailKind.DIGEST)
    assert digest_row.status == ReminderStatus.SUPPRESSED


def test_an_all_mail_entry_stops_account_emails_too(smtp_server) -> None:
    suppress("complainer@example.com", reason=SuppressionReason.COMPLAINT, source="SES")
    send_mail("Confirm your address", "Click.", None, ["complainer@example.com"])

    deliver_due()

    assert smtp_server.recorder.messages == []
    assert Reminder.objects.get(kind=MailKind.MAIL).status == ReminderStatus.SUPPRESSED


@pytest.mark.parametrize(
    ("reply", "listed"),
    [
        ("550 5.1.1 <x@example.com>: Recipient address rejected: User unknown", True),
        ("550 5.2.1 Mailbox disabled", True),
        ("550 No such user here", True),
        ("550 5.7.1 Relaying denied", False),
        ("552 5.2.2 Mailbox full", False),
        ("450 4.2.1 Try again later", False),
    ],
)
def test_a_refusal_of_the_address_itself_puts_it_on_the_list(smtp_server, reply, listed) -> None:
    smtp_server.recorder.refuse["x@example.com"] = reply
    reminder = ReminderFactory(email="x@example.com")

    reminder_deliver(reminder_id=reminder.pk)

    entries = list(Suppression.objects.all())
    if not listed:
        assert entries == []
        return
    [entry] = entries
    assert (entry.address, entry.scope, entry.reason) == ("x@example.com", Scope.ALL, "hard-bounce")
    assert reply.split(" ", 1)[0] in entry.source
    # The next email to it, of any kind, is not attempted.
    send_mail("Hello", "Again.", None, ["X@Example.com"])
    deliver_due()
    assert Reminder.objects.get(kind=MailKind.MAIL).status == ReminderStatus.SUPPRESSED
    assert len(smtp_server.recorder.messages) == 0


def test_a_bounce_in_a_batch_lists_the_address_and_next_weeks_digest_skips_it(smtp_server) -> None:
    bounced, kept = (UserFactory(receives_digest=True) for _ in range(2))
    smtp_server.recorder.refuse[bounced.email] = "550 5.1.1 No such user"
    PostFactory()
    digest_send()
    deliver_due()
    smtp_server.recorder.refuse.clear()
    smtp_server.recorder.messages.clear()
    Reminder.objects.all().delete()
    # That run becomes a past week's, ended a day ago.
    DigestRun.objects.update(
        week=timezone.localdate().replace(year=2000),
        period_end=timezone.now() - timedelta(days=1),
    )

    digest_send()
    deliver_due()

    assert [str(m["To"]) for m in smtp_server.recorder.messages] == [kept.email]
    row = Reminder.objects.get(email=bounced.email)
    assert row.status == ReminderStatus.SUPPRESSED


def test_staff_take_an_address_off_the_list_and_it_is_mailed_again(smtp_server) -> None:
    suppress("back@example.com", **MANUAL)
    reminder = ReminderFactory(email="back@example.com")
    reminder_deliver(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SUPPRESSED

    assert unsuppress("back@example.com") == 1
    reminder_send_again(reminder=reminder)
    deliver_due()

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert [str(m["To"]) for m in smtp_server.recorder.messages] == ["back@example.com"]


def test_checking_the_list_costs_one_query_per_batch(smtp_server, django_assert_num_queries):
    reminders = backlog(20)
    suppress(reminders[0].email, **MANUAL)
    from reminders.services import reminders_deliver_batch

    # claim (1) + read back (1) + the list (1) + ending the suppressed claim (1) + one
    # "sent" UPDATE per email sent (19) + the attempts' INSERT (1): no query per
    # address for the list.
    with django_assert_num_queries(1 + 1 + 1 + 1 + 19 + 1):
        report = reminders_deliver_batch(reminder_ids=ids(reminders))
    assert report.sent == 19
