"""The providers' tracking webhooks, posted over HTTP to the running server (live_server)
as Amazon SES (through SNS), Mailgun and Postmark post them, with the payloads they
document: what is recorded, what is matched to which email, what is suppressed, and
what is refused (docs/email.md, "Provider webhooks")."""

from __future__ import annotations

import importlib
import json
import logging
import threading
from datetime import timedelta

import pytest
from django.urls import clear_url_caches
from django.utils import timezone

import config.urls
import reminders.webhook_urls
from reminders.models import MailEvent, Reminder, Suppression
from tests.reminders.factories import ReminderFactory
from tests.support import provider_events as pe


def remount() -> None:
    """config/urls.py mounts the webhooks at import time, as a process starting does."""
    importlib.reload(reminders.webhook_urls)
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def webhooks(settings, live_server) -> str:
    """The webhooks mounted with a secret and Mailgun's key; the server's address."""
    settings.ANYMAIL_WEBHOOK_SECRET = [pe.WEBHOOK_SECRET]
    settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = pe.MAILGUN_SIGNING_KEY
    remount()
    yield live_server.url
    settings.ANYMAIL_WEBHOOK_SECRET = []
    settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = ""
    remount()


@pytest.fixture
def email() -> Reminder:
    """An email of the outbox, not due for a day (nothing is published for it)."""
    return ReminderFactory(email="jane@example.com", date=timezone.now() + timedelta(days=1))


def recorded() -> list[tuple]:
    return list(
        MailEvent.objects.order_by("pk").values_list(
            "provider", "event_type", "recipient", "reminder_id", "suppressed"
        )
    )


def entries() -> list[tuple]:
    # Sorted here: the databases' collations order "Rich" and "jane" differently.
    return sorted(Suppression.objects.values_list("address", "scope", "reason"))


# WITHOUT A SECRET
# ------------------------------------------------------------------------------
def test_without_a_secret_no_webhook_is_mounted(live_server) -> None:
    for path in ("amazon_ses", "mailgun", "postmark"):
        answer = pe.post(live_server.url, f"/mail/events/{path}/tracking/", "{}")
        assert answer.status == 404, path
    assert recorded() == []


# AMAZON SES
# ------------------------------------------------------------------------------
def test_ses_hard_bounce_is_recorded_on_its_email_and_suppresses_the_address(
    webhooks, email
) -> None:
    notification = pe.sns_notification(pe.ses_bounce(email.message_id))

    answer = pe.post_sns(webhooks, notification)

    assert answer.status == 200
    assert recorded() == [("Amazon SES", "bounced", "jane@example.com", email.pk, True)]
    event = MailEvent.objects.get()
    assert event.message_id == email.message_id
    assert event.provider_message_id.startswith("00000138111222aa")
    assert event.event_id == notification["MessageId"]
    assert event.payload["bounce"]["bounceType"] == "Permanent"
    entry = Suppression.objects.get()
    assert (entry.address, entry.scope, entry.reason) == ("jane@example.com", "all", "hard-bounce")
    assert "550 5.1.1" in entry.source and notification["MessageId"] in entry.source


def test_ses_repeated_notification_is_recorded_once(webhooks, email) -> None:
    notification = pe.sns_notification(pe.ses_bounce(email.message_id))

    answers = [pe.post_sns(webhooks, notification).status for _ in range(3)]

    assert answers == [200, 200, 200]
    assert len(recorded()) == 1
    assert len(entries()) == 1


def test_ses_one_notification_for_two_recipients_records_each(webhooks, email) -> None:
    bounce = pe.ses_bounce(email.message_id, recipients=("jane@example.com", "Rich@Example.COM"))

    assert pe.post_sns(webhooks, pe.sns_notification(bounce)).status == 200

    assert [row[2] for row in recorded()] == ["jane@example.com", "Rich@Example.COM"]
    assert entries() == [
        ("Rich@example.com", "all", "hard-bounce"),
        ("jane@example.com", "all", "hard-bounce"),
    ]


def test_ses_transient_bounce_is_recorded_and_suppresses_nothing(webhooks, email) -> None:
    bounce = pe.ses_bounce(email.message_id, bounce_type="Transient")

    assert pe.post_sns(webhooks, pe.sns_notification(bounce)).status == 200

    assert recorded() == [("Amazon SES", "bounced", "jane@example.com", email.pk, False)]
    assert entries() == []


def test_ses_complaint_suppresses_all_mail(webhooks, email) -> None:
    complaint = pe.ses_complaint(email.message_id)

    assert pe.post_sns(webhooks, pe.sns_notification(complaint)).status == 200

    assert recorded() == [("Amazon SES", "complained", "richard@example.com", email.pk, True)]
    assert entries() == [("richard@example.com", "all", "complaint")]


@pytest.mark.parametrize("auth", [None, "lightblog:wrong-password", "other:" + pe.WEBHOOK_PASSWORD])
def test_ses_without_the_secret_is_refused_and_records_nothing(webhooks, email, auth) -> None:
    notification = pe.sns_notification(pe.ses_bounce(email.message_id))

    answer = pe.post_sns(webhooks, notification, auth=auth)

    # SNS sends its credentials only after a 401 that asks for them.
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert (recorded(), entries()) == ([], [])


def test_ses_subscription_confirmation_is_logged_not_fetched(webhooks, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="reminders.webhook_views"):
        answer = pe.post_sns(webhooks, pe.SNS_SUBSCRIPTION_CONFIRMATION)

    assert answer.status == 200
    assert recorded() == []
    [warning] = [r for r in caplog.records if r.name == "reminders.webhook_views"]
    assert pe.SNS_SUBSCRIPTION_CONFIRMATION["SubscribeURL"] in warning.getMessage()


@pytest.mark.parametrize(
    "body",
    ['{"Type": "Notification", "MessageId": "1", "Message": ', "[1, 2]", "\xff\xfe", "null"],
)
def test_ses_malformed_body_is_a_400(webhooks, body) -> None:
    answer = pe.post(
        webhooks,
        "/mail/events/amazon_ses/tracking/",
        body.encode("latin-1"),
        content_type="text/plain; charset=UTF-8",
        headers={"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": "1"},
    )

    assert answer.status == 400
    assert recorded() == []


def test_ses_notification_whose_message_is_not_json_is_a_400(webhooks) -> None:
    notification = {**pe.sns_notification({}), "Message": "{not json"}

    assert pe.post_sns(webhooks, notification).status == 400
    assert recorded() == []


# MAILGUN
# ------------------------------------------------------------------------------
def test_mailgun_permanent_failure_is_matched_by_its_message_id_and_suppresses(
    webhooks, email
) -> None:
    answer = pe.post_mailgun(webhooks, pe.mailgun_signed(pe.mailgun_failed(email.message_id)))

    assert answer.status == 200
    assert recorded() == [("Mailgun", "bounced", "invalid@example.com", email.pk, True)]
    event = MailEvent.objects.get()
    assert (event.message_id, event.event_id) == (email.message_id, "G9Bn5sl1TC6nu79C8C0bwg")
    assert entries() == [("invalid@example.com", "all", "hard-bounce")]


def test_mailgun_repeated_event_is_recorded_once(webhooks, email) -> None:
    body = pe.mailgun_signed(pe.mailgun_failed(email.message_id))

    assert [pe.post_mailgun(webhooks, body).status for _ in range(2)] == [200, 200]
    assert len(recorded()) == 1


def test_mailgun_temporary_failure_suppresses_nothing(webhooks, email) -> None:
    failed = pe.mailgun_failed(email.message_id, severity="temporary", reason="generic")

    assert pe.post_mailgun(webhooks, pe.mailgun_signed(failed)).status == 200

    assert recorded() == [("Mailgun", "deferred", "invalid@example.com", email.pk, False)]
    assert entries() == []


def test_mailgun_unsubscribe_turns_off_the_digest_only(webhooks, email) -> None:
    body = pe.mailgun_signed(pe.mailgun_unsubscribed(email.message_id))

    assert pe.post_mailgun(webhooks, body).status == 200

    assert entries() == [("reader@example.com", "digest", "unsubscribed")]


def test_mailgun_legacy_form_post_is_recorded_and_suppresses(webhooks, email) -> None:
    body = pe.mailgun_legacy_dropped(email.message_id)

    answer = pe.post_mailgun(webhooks, body, content_type="application/x-www-form-urlencoded")

    assert answer.status == 200
    assert recorded() == [("Mailgun", "rejected", "bounce@example.com", email.pk, True)]
    assert MailEvent.objects.get().payload["code"] == ["605"]  # the form's fields, as lists
    assert entries() == [("bounce@example.com", "all", "hard-bounce")]


@pytest.mark.parametrize("key", ["another-key", ""])
def test_mailgun_bad_signature_is_a_400_and_records_nothing(webhooks, email, key) -> None:
    body = pe.mailgun_signed(pe.mailgun_failed(email.message_id), key=key or "x")
    if not key:
        body["signature"]["signature"] = "0" * 64

    assert pe.post_mailgun(webhooks, body).status == 400
    assert (recorded(), entries()) == ([], [])


def test_mailgun_signed_but_without_the_secret_is_a_401(webhooks, email) -> None:
    body = pe.mailgun_signed(pe.mailgun_failed(email.message_id))

    assert pe.post_mailgun(webhooks, body, auth=None).status == 401
    assert recorded() == []


@pytest.mark.parametrize("body", ["{not json", "[]", '{"signature": 1}'])
def test_mailgun_malformed_body_is_a_400(webhooks, body) -> None:
    assert pe.post_mailgun(webhooks, body).status == 400
    assert recorded() == []


def test_mailgun_signed_body_without_its_event_is_a_400(webhooks) -> None:
    """Well signed, but no event-data.event: anymail's parser raises KeyError (a 500)."""
    body = pe.mailgun_signed({"timestamp": 1534110422})

    assert pe.post_mailgun(webhooks, body).status == 400
    assert recorded() == []


# POSTMARK
# ------------------------------------------------------------------------------
def test_postmark_hard_bounce_is_matched_through_its_metadata(webhooks, email) -> None:
    bounce = pe.postmark_bounce(metadata={"lightblog-message-id": email.message_id})

    assert pe.post_postmark(webhooks, bounce).status == 200

    assert recorded() == [("Postmark", "bounced", "bounce@example.com", email.pk, True)]
    event = MailEvent.objects.get()
    assert (event.message_id, event.provider_message_id, event.event_id) == (
        email.message_id,
        "2706ee8a-737c-4285-b032-ccd317af53ed",
        "901542550",
    )
    assert entries() == [("bounce@example.com", "all", "hard-bounce")]


def test_postmark_bounce_is_matched_through_the_report_it_quotes(webhooks, email) -> None:
    report = (
        "Reporting-MTA: dns; mx.example.com\r\nStatus: 5.1.1\r\n\r\n"
        f"From: noreply@localhost\r\nMessage-ID: {email.message_id}\r\nSubject: Welcome!\r\n"
    )

    assert pe.post_postmark(webhooks, pe.postmark_bounce(content=report)).status == 200

    assert MailEvent.objects.get().reminder == email


def test_postmark_without_our_message_id_is_recorded_unmatched(webhooks, email) -> None:
    assert pe.post_postmark(webhooks, pe.postmark_bounce()).status == 200

    assert recorded() == [("Postmark", "bounced", "bounce@example.com", None, True)]


def test_postmark_soft_bounce_suppresses_nothing(webhooks) -> None:
    """anymail reports Postmark's SoftBounce as "bounced" too; it is not a hard one."""
    assert pe.post_postmark(webhooks, pe.postmark_bounce(bounce_type="SoftBounce")).status == 200

    assert recorded() == [("Postmark", "bounced", "bounce@example.com", None, False)]
    assert entries() == []


def test_postmark_spam_complaint_suppresses_all_mail(webhooks) -> None:
    assert pe.post_postmark(webhooks, pe.postmark_spam_complaint()).status == 200

    assert entries() == [("spam@example.com", "all", "complaint")]


def test_postmark_repeated_bounce_is_recorded_once(webhooks) -> None:
    statuses = [pe.post_postmark(webhooks, pe.postmark_bounce()).status for _ in range(2)]

    assert statuses == [200, 200]
    assert len(recorded()) == 1


def test_postmark_wrong_secret_is_a_401(webhooks) -> None:
    answer = pe.post_postmark(webhooks, pe.postmark_bounce(), auth="lightblog:guess")

    assert answer.status == 401
    assert (recorded(), entries()) == ([], [])


@pytest.mark.parametrize("body", ["{not json", "[]", '"a string"', '{"RecordType": "Inbound"}'])
def test_postmark_malformed_body_is_a_400(webhooks, body) -> None:
    assert pe.post_postmark(webhooks, body).status == 400
    assert recorded() == []


def test_a_second_secret_is_accepted_while_the_first_is_replaced(webhooks, settings) -> None:
    settings.ANYMAIL_WEBHOOK_SECRET = ["lightblog:the-next-password-0123456789", pe.WEBHOOK_SECRET]

    new = pe.post_postmark(webhooks, pe.postmark_bounce(), auth=settings.ANYMAIL_WEBHOOK_SECRET[0])
    old = pe.post_postmark(webhooks, pe.postmark_spam_complaint())

    assert (new.status, old.status) == (200, 200)
    assert len(recorded()) == 2
    assert json.loads(json.dumps(MailEvent.objects.first().payload))  # stored as JSON


@pytest.mark.django_db
# anymail warns that a view without a secret is open: this one answers 404.
@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_a_webhook_routed_without_a_secret_anyway_answers_404(client, settings) -> None:
    settings.ROOT_URLCONF = "tests.reminders.strict_webhook_urls"
    settings.ANYMAIL_WEBHOOK_SECRET = []

    answer = client.post(
        "/mail/events/postmark/tracking/",
        json.dumps(pe.postmark_spam_complaint()),
        content_type="application/json",
    )

    assert answer.status_code == 404
    assert recorded() == []


def test_concurrent_deliveries_of_one_event_record_it_once(webhooks) -> None:
    """Providers retry while a slow first delivery is still running: six at once."""
    start = threading.Barrier(6)
    statuses: list[int] = []

    def deliver() -> None:
        start.wait(timeout=10)
        statuses.append(pe.post_postmark(webhooks, pe.postmark_bounce()).status)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * 6
    assert len(recorded()) == 1
    assert entries() == [("bounce@example.com", "all", "hard-bounce")]
