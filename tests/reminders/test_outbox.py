"""The outbox backend (``EMAIL_BACKEND``): every email Django sends is stored in the
sender's transaction, one row per recipient, published after commit, and delivered
byte for byte by the pipeline (issue #14, item 1). On the real database; delivery
through the pipeline's service to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import BadHeaderError, EmailMessage, mail_admins, send_mail
from django.db import transaction
from rest_framework.test import APIClient

from reminders.models import MailKind, OutboxEmail, Reminder, ReminderStatus, reminder_id_of
from reminders.services.outbox import MessageTooLarge
from tests.factories import UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.django_db

A = "a@example.com"


def test_each_recipient_is_a_row_of_its_own_with_its_own_message_id(smtp_server) -> None:
    message = EmailMessage(
        "Minutes",
        "See attached.",
        "Site <site@example.com>",
        to=["ada@example.com"],
        cc=["grace@example.com"],
        bcc=["hidden@example.com"],
    )
    message.attach("minutes.txt", "line one\n", "text/plain")

    assert message.send() == 1

    rows = {row.email: row for row in Reminder.objects.all()}
    assert set(rows) == {"ada@example.com", "grace@example.com", "hidden@example.com"}
    assert {row.kind for row in rows.values()} == {MailKind.MAIL}
    assert len({row.message_id for row in rows.values()}) == 3
    for row in rows.values():
        assert reminder_id_of(row.message_id) == row.pk
    # Nothing went out from the caller: the pipeline sends.
    assert smtp_server.recorder.messages == []

    assert deliver_due().sent == 3
    received = smtp_server.recorder.messages
    assert len(received) == 3
    for copy in received:
        # The headers the sender wrote, whoever the envelope named; never a Bcc header.
        assert (copy["To"], copy["Cc"], copy["Bcc"]) == (
            "ada@example.com",
            "grace@example.com",
            None,
        )
        assert copy["Auto-Submitted"] == "auto-generated"
        assert copy.get_content_type() == "multipart/mixed"
        [attachment] = [part for part in copy.iter_attachments()]
        assert attachment.get_filename() == "minutes.txt"
    assert {copy["Message-ID"] for copy in received} == {row.message_id for row in rows.values()}


def test_what_the_server_receives_is_what_was_stored(smtp_server) -> None:
    send_mail("Ünïcode subject", "Body with ü and 汉字.", None, ["reader@example.com"])
    row = Reminder.objects.get()

    deliver_due()

    [received] = smtp_server.recorder.messages
    assert received["Subject"] == "Ünïcode subject"
    assert received.get_content().strip() == "Body with ü and 汉字."
    assert bytes(row.raw_message).split(b"\r\n\r\n", 1)[1].strip() in received.as_bytes()


def test_mail_admins_goes_through_the_outbox(settings, smtp_server) -> None:
    settings.ADMINS = [("Ops", "ops@example.com")]

    mail_admins("Server error", "Traceback …")
    deliver_due()

    row = Reminder.objects.get()
    assert (row.email, row.kind, row.status) == ("ops@example.com", "mail", ReminderStatus.SENT)
    assert smtp_server.recorder.messages[0]["Subject"] == "[Django] Server error"


@pytest.mark.django_db(transaction=True)
def test_a_rollback_stores_and_publishes_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Confirm", "Click the link.", None, ["new@example.com"])
        raise RuntimeError("the signup failed")

    assert not Reminder.objects.exists()


def test_it_is_published_after_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_mail("Confirm", "Click the link.", None, ["new@example.com"])
        assert Reminder.objects.get().enqueued_at is None
    assert len(callbacks) == 1

    callbacks[0]()

    assert Reminder.objects.get().enqueued_at is not None


def test_a_header_with_a_line_break_raises_in_the_sender_and_stores_nothing() -> None:
    with pytest.raises(BadHeaderError):
        send_mail("Subject\r\nBcc: victim@example.com", "x", None, ["a@example.com"])

    assert not Reminder.objects.exists()
    # fail_silently, as Django's own backends: nothing raised, nothing stored.
    assert send_mail("Bad\nsubject", "x", None, ["a@example.com"], fail_silently=True) == 0
    assert not Reminder.objects.exists()


def test_an_email_over_the_size_limit_is_refused(settings) -> None:
    settings.REMINDERS_OUTBOX_MAX_BYTES = 10_000

    with pytest.raises(MessageTooLarge, match="REMINDERS_OUTBOX_MAX_BYTES"):
        send_mail("Big", "x" * 20_000, None, ["a@example.com"])

    assert not Reminder.objects.exists()
    assert send_mail("Small", "x" * 100, None, ["a@example.com"]) == 1


def test_a_message_without_recipients_is_not_stored() -> None:
    assert EmailMessage("Nobody", "x", None, to=[]).send() == 0
    assert not Reminder.objects.exists()


def test_in_memory_delivery_reads_back_subject_and_body() -> None:
    send_mail("Reset your password", "Follow https://example.com/reset/", None, ["a@example.com"])
    deliver_due()

    [delivered] = mail.outbox
    assert (delivered.subject, delivered.to) == ("Reset your password", ["a@example.com"])
    assert "https://example.com/reset/" in delivered.body


def test_the_api_lists_reminders_and_never_account_emails(settings) -> None:
    send_mail("Reset your password", "https://example.com/reset/secret", None, ["a@example.com"])
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_authenticate(staff)

    listed = client.get("/api/reminders/").json()
    row = Reminder.objects.get()

    assert listed["count"] == 0
    assert client.get(f"/api/reminders/{row.pk}/").status_code == 404


def test_staff_see_the_headers_of_an_account_email_never_its_body(client) -> None:
    send_mail(
        "Reset your password", "https://example.com/reset/secret-key", None, ["a@example.com"]
    )
    row = OutboxEmail.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/reminders/outboxemail/").content.decode()
    page = client.get(f"/admin/reminders/outboxemail/{row.pk}/change/").content.decode()
    reminders_page = client.get("/admin/reminders/reminder/").content.decode()

    assert "a@example.com" in listing and "Reset your password" in listing
    assert "Auto-Submitted: auto-generated" in page and row.message_id.strip("<>") in page
    assert "secret-key" not in page
    assert "a@example.com" not in reminders_page  # the reminders' admin lists reminders


def test_seeing_the_outbox_needs_its_own_permission(client) -> None:
    from django.contrib.auth.models import Permission

    send_mail("Reset your password", "https://example.com/reset/k", None, ["a@example.com"])
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_reminder"))
    client.force_login(staff)

    assert client.get("/admin/reminders/outboxemail/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_outboxemail"))
    assert client.get("/admin/reminders/outboxemail/").status_code == 200


def test_old_ended_emails_are_pruned_and_everything_else_kept(settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from reminders.services.outbox import outbox_prune
    from reminders.tasks import prune_outbox

    from .factories import ReminderFactory

    settings.REMINDERS_OUTBOX_KEEP_DAYS = 30
    for status in ("sent", "failed", "cancelled", "suppressed", "unknown", "pending"):
        send_mail(status, "x", None, [f"{status}@example.com"])
        Reminder.objects.filter(email=f"{status}@example.com").update(status=status)
    send_mail("recent", "x", None, ["recent@example.com"])
    Reminder.objects.filter(email="recent@example.com").update(status="sent")
    reminder = ReminderFactory(email="reminder@example.com")
    old = timezone.now() - timedelta(days=31)
    Reminder.objects.exclude(email="recent@example.com").update(updated=old)
    Reminder.objects.filter(pk=reminder.pk).update(status="sent")
    Reminder.objects.filter(pk=reminder.pk).update(updated=old)

    assert prune_outbox.run() == {"deleted": 4}

    kept = set(Reminder.objects.values_list("email", flat=True))
    assert kept == {
        "unknown@example.com",
        "pending@example.com",
        "recent@example.com",
        "reminder@example.com",
    }
    assert outbox_prune() == 0
    settings.REMINDERS_OUTBOX_KEEP_DAYS = 0
    Reminder.objects.filter(email="recent@example.com").update(updated=old)
    assert outbox_prune() == 0
