"""The providers' webhook payloads in their documented formats, as django-anymail's own
tests have them (tests/test_amazon_ses_webhooks.py, test_mailgun_webhooks.py,
test_postmark_webhooks.py), and the HTTP posts a provider makes with them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

WEBHOOK_USER, WEBHOOK_PASSWORD = "lightblog", "k9Lp-2xWq7Rz4Nt8Vb3Mh6Jd"
WEBHOOK_SECRET = f"{WEBHOOK_USER}:{WEBHOOK_PASSWORD}"
MAILGUN_SIGNING_KEY = "key-mailgun-webhook-signing-test"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def post(
    base_url: str,
    path: str,
    body: bytes | str,
    *,
    content_type: str = "application/json",
    auth: str | None = WEBHOOK_SECRET,
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST ``body`` to the running server as a provider does, with basic auth."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    sent = {"Content-Type": content_type, **(headers or {})}
    if auth is not None:
        sent["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    try:
        connection.request("POST", path, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


# AMAZON SES (through Amazon SNS)
# ------------------------------------------------------------------------------
def ses_bounce(
    message_id: str, *, bounce_type: str = "Permanent", recipients=("jane@example.com",)
):
    """SES's bounce notification (docs.aws.amazon.com/ses/latest/dg/notification-examples.html),
    with the email's own Message-ID among the original headers."""
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "reportingMTA": "dns; email.example.com",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "status": "5.1.1",
                    "action": "failed",
                    "diagnosticCode": f"smtp; 550 5.1.1 <{address}>... User unknown",
                }
                for address in recipients
            ],
            "timestamp": "2016-01-27T14:59:44.101Z",
            "feedbackId": "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000",
        },
        "mail": ses_mail(message_id, recipients),
    }


def ses_complaint(message_id: str, recipient: str = "richard@example.com"):
    return {
        "notificationType": "Complaint",
        "complaint": {
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
        },
        "mail": ses_mail(message_id, (recipient,)),
    }


def ses_mail(message_id: str, recipients) -> dict:
    return {
        "timestamp": "2016-01-27T14:59:38.237Z",
        "source": "noreply@localhost",
        # SES's own id; the email's Message-ID is in the headers.
        "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        "destination": list(recipients),
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "Lightblog <noreply@localhost>"},
            {"name": "To", "value": ", ".join(recipients)},
            {"name": "Message-ID", "value": message_id},
            {"name": "Subject", "value": "Welcome!"},
        ],
        "commonHeaders": {
            "from": ["Lightblog <noreply@localhost>"],
            "to": list(recipients),
            "messageId": message_id,
            "subject": "Welcome!",
        },
    }


def sns_notification(ses_event: dict, sns_id: str = "19ba9823-d7f2-53c1-860e-cb10e0d13dfc"):
    """The SNS envelope SES publishes through (docs.aws.amazon.com/sns, HTTP/S JSON)."""
    return {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event) + "\n",
        "Timestamp": "2018-03-26T17:58:59.675Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-SIGNATURE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&Sub=arn",
    }


SNS_SUBSCRIPTION_CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "EXAMPLE_TOKEN",
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:SES_Notifications",
    "Message": "You have chosen to subscribe ...\nTo confirm..., visit the SubscribeURL.",
    "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&T=1",
    "Timestamp": "2012-04-26T20:45:04.751Z",
    "SignatureVersion": "1",
    "Signature": "EXAMPLE-SIGNATURE==",
    "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
}


def sns_headers(sns_message: dict) -> dict[str, str]:
    return {
        "x-amz-sns-message-id": sns_message["MessageId"],
        "x-amz-sns-message-type": sns_message["Type"],
    }


def post_sns(base_url: str, sns_message: dict, **kwargs) -> Answer:
    """SNS posts its JSON as text/plain."""
    return post(
        base_url,
        "/mail/events/amazon_ses/tracking/",
        json.dumps(sns_message),
        content_type="text/plain; charset=UTF-8",
        headers=sns_headers(sns_message),
        **kwargs,
    )


# MAILGUN
# ------------------------------------------------------------------------------
def mailgun_signed(event_data: dict, *, key: str = MAILGUN_SIGNING_KEY, token: str = "") -> dict:
    """A webhook body signed as Mailgun documents (documentation.mailgun.com, "Securing
    webhooks"): HMAC-SHA256 of timestamp + token, keyed by the webhook signing key."""
    timestamp = str(int(event_data.get("timestamp", 1534110422)))
    token = token or hashlib.sha256(json.dumps(event_data).encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def mailgun_failed(message_id: str, *, severity: str = "permanent", reason: str = "bounce"):
    """Mailgun's "failed" event; Mailgun gives the Message-ID without its brackets."""
    return {
        "event": "failed",
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "severity": severity,
        "reason": reason,
        "recipient": "invalid@example.com",
        "timestamp": 1534110422.389832,
        "log-level": "error",
        "message": {
            "headers": {
                "to": "invalid@example.com",
                "message-id": message_id.strip("<>"),
                "from": "Lightblog <noreply@localhost>",
            },
        },
        "delivery-status": {
            "attempt-no": 1,
            "description": "",
            "code": 550 if severity == "permanent" else 450,
            "message": "5.1.1 The email account that you tried to reach does not exist.",
        },
    }


def mailgun_unsubscribed(message_id: str):
    return {
        "event": "unsubscribed",
        "id": "W3X4JOhFT-OZidZGKKr9iA",
        "timestamp": 1377213791.421473,
        "log-level": "info",
        "recipient": "reader@example.com",
        "message": {"headers": {"message-id": message_id.strip("<>")}},
    }


def mailgun_legacy_dropped(message_id: str, *, key: str = MAILGUN_SIGNING_KEY) -> str:
    """Mailgun's legacy (form-encoded) "dropped" webhook: code 605, "Not delivering to
    previously bounced address"; signed with the same HMAC, form fields instead of JSON."""
    fields = {
        "event": "dropped",
        "code": "605",
        "reason": "hardfail",
        "description": "Not delivering to previously bounced address",
        "Message-Id": message_id,
        "recipient": "bounce@example.com",
        "domain": "example.com",
        "timestamp": "1461261330",
        "token": "a3fe1fa1640349ac552b84ddde373014b4c41645830c8dd3fc",
    }
    fields["signature"] = hmac.new(
        key.encode(), f"{fields['timestamp']}{fields['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return urlencode(fields)


def post_mailgun(base_url: str, body: dict | str, **kwargs) -> Answer:
    data = body if isinstance(body, str) else json.dumps(body)
    return post(base_url, "/mail/events/mailgun/tracking/", data, **kwargs)


# POSTMARK
# ------------------------------------------------------------------------------
def postmark_bounce(*, bounce_type: str = "HardBounce", metadata=None, content: str = ""):
    """Postmark's bounce webhook (postmarkapp.com/developer/webhooks/bounce-webhook):
    MessageID is Postmark's; the email's Message-ID comes back only in Metadata (an
    X-PM-Metadata-* header at sending) or in the bounce report's Content."""
    event = {
        "RecordType": "Bounce",
        "ID": 901542550,
        "Type": bounce_type,
        "TypeCode": 1 if bounce_type == "HardBounce" else 4096,
        "ServerID": 23,
        "Name": "Hard bounce",
        "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "bounce@example.com",
        "From": "noreply@localhost",
        "BouncedAt": "2016-04-27T16:28:50.3963933-04:00",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Welcome!",
        "Metadata": metadata or {},
    }
    if content:
        event["Content"] = content
    return event


def postmark_spam_complaint():
    return {
        "RecordType": "SpamComplaint",
        "ID": 901542551,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
        "Email": "spam@example.com",
        "BouncedAt": "2016-04-27T16:28:50.3963933-04:00",
        "Details": "Test spam complaint details",
    }


def post_postmark(base_url: str, body: dict | str, **kwargs) -> Answer:
    data = body if isinstance(body, str) else json.dumps(body)
    return post(base_url, "/mail/events/postmark/tracking/", data, **kwargs)
