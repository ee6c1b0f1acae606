"""The providers' tracking events: recorded once each, matched to the email they concern,
and fed to the suppression list (docs/email.md, "Provider webhooks").

django-anymail verifies and normalises the webhooks (``webhook_views.py``) and sends
``anymail.signals.tracking``; the receiver (``webhooks.py``) calls ``mail_event_record``.
What anymail leaves to each provider's raw event (which bounce is hard, where the email's
own Message-ID is) is read here, from the payloads the providers document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.db import IntegrityError, transaction

from .mail.messages import message_id_domain
from .models import (
    MESSAGE_ID_PATTERN,
    MailEvent,
    Reminder,
    SuppressionReason,
    SuppressionScope,
    reminder_id_of,
)
from .suppression import suppress

logger = logging.getLogger(__name__)

# anymail's esp_name of each provider whose raw events are read below.
AMAZON_SES, MAILGUN, POSTMARK = "Amazon SES", "Mailgun", "Postmark"

# Metadata a provider hands back with every event (Postmark: an X-PM-Metadata-<key>
# header; Mailgun: X-Mailgun-Variables; Amazon SES: anymail's X-Metadata header).
METADATA_KEY = "lightblog-message-id"
# How much of a bounce report (Postmark's "Content") is searched for the Message-ID.
CONTENT_SEARCHED = 65_536

# A provider's refusal that names the address (not the message or the sender's policy).
REJECTIONS = {
    RejectReason.INVALID: (SuppressionScope.ALL, SuppressionReason.HARD_BOUNCE),
    RejectReason.BOUNCED: (SuppressionScope.ALL, SuppressionReason.HARD_BOUNCE),
    RejectReason.SPAM: (SuppressionScope.ALL, SuppressionReason.COMPLAINT),
    RejectReason.UNSUBSCRIBED: (SuppressionScope.DIGEST, SuppressionReason.UNSUBSCRIBED),
}


def mail_event_record(*, provider: str, event: AnymailTrackingEvent) -> MailEvent | None:
    """Record ``event`` and, for a hard bounce, a complaint, an unsubscribe or a refusal
    naming the address, put its recipient on the suppression list, in one transaction.

    Returns None for an event already recorded (providers deliver again until they get
    a 2xx). A database error propagates: the webhook answers 500 and the provider retries.
    """
    payload = _jsonable(event.esp_event)
    key = event_key(provider, event, payload)
    if MailEvent.objects.filter(key=key).exists():
        return None
    message_id, reminder = _email_of(event, payload)
    verdict = suppression_for(provider, event, payload)
    recipient = (event.recipient or "")[:254]
    try:
        with transaction.atomic():
            record = MailEvent.objects.create(
                provider=provider[:32],
                event_type=(event.event_type or EventType.UNKNOWN)[:32],
                recipient=recipient,
                message_id=message_id[:255],
                provider_message_id=str(event.message_id or "")[:255],
                reminder=reminder,
                event_id=provider_event_id(provider, event, payload)[:255],
                key=key,
                timestamp=event.timestamp,
                description=str(event.description or ""),
                reject_reason=str(event.reject_reason or "")[:32],
                mta_response=str(event.mta_response or ""),
                payload=payload,
                suppressed=bool(verdict and recipient),
            )
            if record.suppressed:
                scope, reason = verdict
                suppress(recipient, scope=scope, reason=reason, source=_source(record))
    except IntegrityError:
        if MailEvent.objects.filter(key=key).exists():
            return None  # the same event, recorded by a concurrent delivery
        raise
    return record


def suppression_for(
    provider: str, event: AnymailTrackingEvent, payload: Any
) -> tuple[SuppressionScope, SuppressionReason] | None:
    """The entry ``event`` calls for, or None: soft bounces, deliveries, opens, clicks and
    refusals of the message itself (its content, the sender's policy) call for none."""
    kind, why = event.event_type, event.reject_reason
    if kind == EventType.BOUNCED:
        hard = why == RejectReason.BOUNCED and _permanent(provider, payload)
        return (SuppressionScope.ALL, SuppressionReason.HARD_BOUNCE) if hard else None
    if kind == EventType.COMPLAINED:
        return SuppressionScope.ALL, SuppressionReason.COMPLAINT
    if kind == EventType.UNSUBSCRIBED:
        return SuppressionScope.DIGEST, SuppressionReason.UNSUBSCRIBED
    if kind == EventType.REJECTED:
        return REJECTIONS.get(why)
    return None


def _permanent(provider: str, payload: Any) -> bool:
    """Whether a bounce anymail reports as "bounced" is a hard one: anymail maps Amazon
    SES's transient bounces and Postmark's soft bounces to "bounced" too."""
    if not isinstance(payload, dict):
        return True
    if provider == AMAZON_SES:
        return _get(payload, "bounce", "bounceType") == "Permanent"
    if provider == POSTMARK:
        return "HardBounce" in (payload.get("Type"), payload.get("SuppressionReason"))
    if provider == MAILGUN:
        # anymail already makes a temporary failure "deferred"; legacy "bounced" is hard.
        return _get(payload, "event-data", "severity") != "temporary"
    return True


def provider_event_id(provider: str, event: AnymailTrackingEvent, payload: Any) -> str:
    """The provider's id of the event: Mailgun's event id where its payload has one
    (anymail gives the signature's token), otherwise anymail's ``event_id`` (Amazon
    SES: the SNS notification's MessageId; Postmark: the bounce's ID, none for others)."""
    if provider == MAILGUN:
        mailgun_id = _get(payload, "event-data", "id")
        if isinstance(mailgun_id, str) and mailgun_id:
            return mailgun_id
    return str(event.event_id or "")


def event_key(provider: str, event: AnymailTrackingEvent, payload: Any) -> str:
    """What every delivery of one event shares: the provider, its event id (or, for an
    event without one, the whole payload), the recipient and the type. One SES
    notification reports several recipients under one id, hence the recipient."""
    identity = provider_event_id(provider, event, payload) or "payload:" + json.dumps(
        payload, sort_keys=True, separators=(",", ":")
    )
    parts = (provider, identity, event.recipient or "", event.event_type or "")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _email_of(event: AnymailTrackingEvent, payload: Any) -> tuple[str, Reminder | None]:
    """The email's own Message-ID and its row, from wherever the provider put it."""
    found = [
        (text, pk)
        for text in _message_id_candidates(event, payload)
        if (pk := reminder_id_of(text)) is not None
    ]
    found += _message_ids_in_report(payload)
    if not found:
        return "", None
    rows = Reminder.objects.in_bulk([pk for _, pk in found])
    for text, pk in found:
        if pk in rows:
            return text.strip(), rows[pk]
    return found[0][0].strip(), None


def _message_id_candidates(event: AnymailTrackingEvent, payload: Any) -> list[str]:
    # Mailgun: anymail's message_id is the email's Message-ID header. Amazon SES and
    # Postmark: it is their own id, and the header is in the raw event, if anywhere.
    candidates = [event.message_id, (event.metadata or {}).get(METADATA_KEY)]
    candidates.append(_get(payload, "mail", "commonHeaders", "messageId"))
    headers = _get(payload, "mail", "headers")
    for header in headers if isinstance(headers, list) else []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            candidates.append(header.get("value"))
    return [text for text in candidates if isinstance(text, str) and text]


def _message_ids_in_report(payload: Any) -> list[tuple[str, uuid.UUID]]:
    """Postmark's bounce webhook carries no headers, but its "Content" (the bounce
    report, when the webhook includes it) usually quotes the email's: a Message-ID of
    ours on our own domain there names the email."""
    content = payload.get("Content") if isinstance(payload, dict) else None
    if not isinstance(content, str):
        return []
    domain = message_id_domain(settings.DEFAULT_FROM_EMAIL).lower()
    found = []
    for match in MESSAGE_ID_PATTERN.finditer(content[:CONTENT_SEARCHED]):
        text = match.group(0)
        if text.startswith("<") and text.endswith(">") and match.group(2).lower() == domain:
            found.append((text, uuid.UUID(match.group(1))))
    return found


def _source(record: MailEvent) -> str:
    """The suppression's source: what the provider said, and which event said it."""
    text = f"{record.provider} {record.event_type}"
    if record.description:
        text += f" ({record.description})"
    if record.mta_response:
        text += f": {record.mta_response}"
    if record.event_id:
        text += f" [event {record.event_id}]"
    return text


def _get(payload: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(name)
    return payload


def _jsonable(esp_event: Any) -> Any:
    """The raw event as JSON: a parsed JSON body as it is, a form post (Mailgun's legacy
    webhooks) as lists of values."""
    if hasattr(esp_event, "lists"):
        esp_event = dict(esp_event.lists())
    return json.loads(json.dumps(esp_event, default=str))
