"""A reminder is an email to send at a date, with its delivery state: the outbox.

Every email the site sends is a row here (``kind``): the welcome and staff reminders,
built from their ``subject`` and ``text`` when they are sent; the digest's, one row
per recipient; and any other email sent through Django's mail API (allauth's, password
resets, ``mail_admins``), stored whole in ``raw_message`` by ``reminders.outbox`` in
the sender's transaction. They share one pipeline (docs/email.md).

The state machine (transitions live in ``reminders/services/``)::

    pending --claim--> sending --SMTP accepted--> sent
       ^                  |  \\--temporary failure--> pending (retry later)
       |                  \\--permanent failure or retries exhausted--> failed
       |                  \\--no reply after the body was sent--> unknown (staff decide)
       +-- reschedule / send now / send again (staff) -- failed, sent, cancelled, unknown
    pending, failed --cancel--> cancelled
    sending --address on the suppression list--> suppressed (never retried)
    unknown --mark sent (staff)--> sent

``sending`` is a claim taken by one conditional UPDATE, so two workers (or two
deliveries of one message) can never both send the same reminder. A batch claims
many with one UPDATE and reads back the rows stamped with its ``claim_token``.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.validators import deliverable_email

from .addresses import address_key, normalise_address
from .mail.messages import message_id_domain, message_id_of

# Marked for translation: the welcome email's subject is in its user's language.
DEFAULT_SUBJECT = gettext_noop("Welcome!")
SUBJECT_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    # The body went to the server and no reply came: it may have been delivered.
    # Never retried automatically; staff "send again" or "mark sent" it.
    UNKNOWN = "unknown", _("outcome unknown")
    # The address is on the suppression list (reminders.suppression): nothing was sent.
    SUPPRESSED = "suppressed", _("suppressed")


class MailKind(models.TextChoices):
    """What a row of the outbox is; the Message-ID names it (``Reminder.message_id``)."""

    # A welcome or staff reminder: built from subject and text at each attempt.
    REMINDER = "reminder", _("reminder")
    # An email sent through Django's mail API (account emails, mail_admins), stored whole.
    MAIL = "mail", _("account or site email")
    # One recipient's weekly digest, stored whole; subject to digest-only suppressions.
    DIGEST = "digest", _("weekly digest")


# An email may have gone out for these: the admin keeps them (no delete).
KEPT_AS_RECORD = (ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.UNKNOWN)


class ReminderQuerySet(models.QuerySet):
    """The reads of the pipeline; each is served by the (status, next_attempt_at) index."""

    def pending(self) -> ReminderQuerySet:
        return self.filter(status=ReminderStatus.PENDING)

    def due(self, now: datetime) -> ReminderQuerySet:
        """Pending reminders whose next attempt has come: what a worker may claim."""
        return self.pending().filter(next_attempt_at__lte=now)

    def to_dispatch(self, now: datetime, horizon: timedelta, grace: timedelta) -> ReminderQuerySet:
        """Pending reminders that need a message published by ``dispatch_due``.

        Either none was ever published (a far-future reminder entering the ETA horizon,
        or one saved while the broker was down), or the one published should have run
        more than ``grace`` ago and the reminder is still pending (the message was lost).
        """
        never_published = Q(enqueued_at__isnull=True, next_attempt_at__lte=now + horizon)
        lost = Q(enqueued_at__lte=now - grace, next_attempt_at__lte=now - grace)
        return self.pending().filter(never_published | lost)

    def stale_claims(self, now: datetime, lease: timedelta) -> ReminderQuerySet:
        """Claims older than the lease: their worker died or lost its database."""
        return self.filter(status=ReminderStatus.SENDING, claimed_at__lt=now - lease)

    def end_claim(self, status: ReminderStatus, **fields) -> int:
        """Move these reminders out of ``sending`` (or keep them out of it) to ``status``.

        Every transition that ends a claim goes through here, so the claim is always
        released with it: no reminder is left holding a ``claimed_at`` or a token.
        """
        return self.update(
            status=status,
            claimed_at=None,
            claim_token=None,
            **{"updated": timezone.now(), **fields},
        )


class Reminder(models.Model):
    # A UUID, not a sequence: ids travel in task messages and Message-IDs and must not
    # be guessable or collide across databases.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    date = models.DateTimeField(_("date"), help_text=_("When to send the email."))
    email = models.EmailField(_("email"), validators=[deliverable_email])
    subject = models.CharField(
        _("subject"),
        max_length=SUBJECT_MAX_LENGTH,
        default=DEFAULT_SUBJECT,
        # A line break in a header would be refused at send time; refuse it at save.
        validators=[RegexValidator(r"[\r\n]", inverse_match=True, message=_("One line only."))],
    )
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MailKind.choices, default=MailKind.REMINDER
    )
    # The whole message (RFC 5322 bytes, CRLF) of an email stored by the outbox backend
    # or the digest; None for a reminder, which is built from its fields when sent.
    raw_message = models.BinaryField(_("message"), null=True, blank=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("user"),
    )

    # Delivery state, written by the services only.
    status = models.CharField(
        _("status"), max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0, help_text=_("Sending attempts since the last (re)schedule.")
    )
    last_error = models.TextField(_("last error"), blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        help_text=_("The date, or when a retry after a temporary failure is due."),
    )
    enqueued_at = models.DateTimeField(
        _("enqueued at"),
        null=True,
        blank=True,
        help_text=_("When a task message was last published; empty until one is."),
    )
    claimed_at = models.DateTimeField(
        _("claimed at"),
        null=True,
        blank=True,
        help_text=_("When a worker took the reminder to send it (the lease starts here)."),
    )
    claim_token = models.UUIDField(
        _("claim token"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Which claim holds it: a batch reads back the rows its UPDATE took."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReminderQuerySet.as_manager()

    # A change to one of these while pending means the email must be (re)scheduled.
    SCHEDULE_FIELDS = ("date", "email", "subject", "text")

    class Meta:
        ordering = ["-date"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        # Beside Django's view/add/change/delete: the admin's actions and the API's
        # (reminders/permissions.py).
        permissions = [
            ("send_reminder", _("Can send reminders now or again")),
            ("cancel_reminder", _("Can cancel reminders")),
        ]
        indexes = [
            # "Pending and due": the claim, dispatch_due and reminders_status.
            models.Index(fields=["status", "next_attempt_at"], name="reminder_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.email} at {self.date:%Y-%m-%d %H:%M}"

    # What date, email, subject and text were when last read or saved; None forces
    # the next save() to count as a change of schedule (see reschedule()).
    _saved_schedule: tuple | None = None

    def save(self, *args, **kwargs) -> None:
        # Read by the post_save receiver: schedule delivery only when the reminder is
        # new, or what it sends or when changed.
        unchanged = self._saved_schedule == self._schedule_values()
        self.schedule_changed = self._state.adding or not unchanged
        if self.schedule_changed or self.next_attempt_at is None:
            # A new date is the next attempt; a pending retry's delay no longer applies.
            self.next_attempt_at = self.date
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "next_attempt_at"}
        super().save(*args, **kwargs)
        self._saved_schedule = self._schedule_values()

    def reschedule(self) -> None:
        """Make the reminder pending again with a fresh attempt count; the next save()
        schedules it even if its date, email, subject and text are as they were (a
        failed reminder edited back to its old values must still go out)."""
        self.status = ReminderStatus.PENDING
        self.attempts = 0
        self.last_error = ""
        self.claimed_at = self.claim_token = self.enqueued_at = None
        self._saved_schedule = None

    def clean(self) -> None:
        if self.date is not None and timezone.is_naive(self.date):
            raise ValidationError({"date": _("Give a date with a time zone.")})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_schedule = instance._schedule_values()
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._saved_schedule = self._schedule_values()

    def _schedule_values(self) -> tuple:
        return tuple(self.__dict__.get(name) for name in self.SCHEDULE_FIELDS)

    @property
    def message_id(self) -> str:
        """The email's Message-ID: the same for every attempt at one date, so a
        duplicate after a lost worker is recognisable; new after a reschedule. A stored
        message keeps the one it was written with. Either way the 32 hex digits before
        the first dot are the row's id: a provider's bounce report names its row."""
        if self.raw_message is not None:
            return message_id_of(bytes(self.raw_message))
        return make_message_id(self.id, self.date, self.kind)


def make_message_id(pk: uuid.UUID, date: datetime, kind: str) -> str:
    """``<hex.timestamp.kind@domain>`` on ``DEFAULT_FROM_EMAIL``'s domain."""
    domain = message_id_domain(settings.DEFAULT_FROM_EMAIL)
    return f"<{pk.hex}.{int(date.timestamp())}.{kind}@{domain}>"


# What make_message_id() writes, ``<`` and ``>`` optional: group 1 is the row's id
# (32 hex digits), group 2 the domain. The providers' reports are read with it.
MESSAGE_ID_PATTERN = re.compile(r"<?([0-9a-fA-F]{32})\.[0-9]+\.[a-z-]+@([^<>\s\"]+)>?")


def reminder_id_of(message_id: str) -> uuid.UUID | None:
    """The row a Message-ID of this site names (``<hex.timestamp.kind@domain>``), or
    None for any other Message-ID."""
    match = MESSAGE_ID_PATTERN.fullmatch(message_id.strip())
    return uuid.UUID(match.group(1)) if match else None


class OutboxEmail(Reminder):
    """Every row of the outbox as staff see it in the admin: account and site emails
    and digests beside the reminders, read-only, with permissions of its own (an
    account email carries a sign-in link: seeing them is not seeing reminders)."""

    class Meta:
        proxy = True
        ordering = ["-created"]
        verbose_name = _("email")
        verbose_name_plural = _("emails (outbox)")


class DigestRun(models.Model):
    """One weekly digest: which week, which posts, and how far the queueing got.

    ``week`` is unique, so a second run for the same week finds this row: a finished
    run queues nothing, an interrupted one resumes after ``last_user_id``.
    """

    week = models.DateField(_("week"), unique=True, help_text=_("Monday of the week (TIME_ZONE)."))
    period_start = models.DateTimeField(_("posts published from"))
    period_end = models.DateTimeField(_("posts published until"))
    posts = models.PositiveIntegerField(_("posts"), default=0)
    # Each recipient's email is a row of the outbox (kind "digest"): its status is there.
    recipients = models.PositiveIntegerField(_("emails queued"), default=0)
    # Recipients are queued in primary-key order; this is the last one queued.
    last_user_id = models.PositiveBigIntegerField(_("last recipient id"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")

    def __str__(self) -> str:
        return f"Digest of the week of {self.week:%Y-%m-%d}"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("sent")
    RETRY = "retry", _("temporary failure, retried")
    FAILED = "failed", _("failed")
    UNKNOWN = "unknown", _("outcome unknown")


class ReminderAttempt(models.Model):
    """One try at sending a reminder's email: when, what came of it, the server's reply.

    History only: the reminder's own row (``status``, ``sent_at``) stays the durable
    record. A batch writes its attempts in one INSERT when it ends, so a worker killed
    mid-batch may lose these rows, never a "sent" (docs/reminders.md, "Attempts").
    """

    reminder = models.ForeignKey(
        Reminder,
        on_delete=models.CASCADE,
        related_name="attempt_history",
        verbose_name=_("reminder"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    smtp_reply = models.CharField(
        _("SMTP reply"),
        max_length=1000,
        blank=True,
        default="",
        help_text=_("The server's refusal; empty when it accepted the email."),
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        indexes = [models.Index(fields=["reminder", "at"], name="reminder_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M:%S}"


class BeatLease(models.Model):
    """Which beat process schedules the periodic tasks, until when.

    Several ``celery beat`` may run; the one whose conditional UPDATE takes or renews
    this row schedules, the others wait for it to expire (docs/deployment.md,
    "Several beats"). ``last_tick_at`` is the leader's heartbeat: reminders_status and
    the metrics read it.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    holder = models.CharField(
        _("holder"), max_length=255, help_text=_("host:pid:random of the beat process.")
    )
    expires_at = models.DateTimeField(_("expires at"))
    acquired_at = models.DateTimeField(_("acquired at"))
    last_tick_at = models.DateTimeField(_("last tick at"))

    class Meta:
        verbose_name = _("beat lease")
        verbose_name_plural = _("beat leases")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


# THE SUPPRESSION LIST AND THE PROVIDERS' EVENTS
# ------------------------------------------------------------------------------
# docs/email.md, "Suppression list" and "Provider webhooks"; the writes are in
# reminders/suppression.py and reminders/mail_events.py.
class SuppressionScope(models.TextChoices):
    ALL = "all", _("all mail")
    DIGEST = "digest", _("the digest only")


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard-bounce", _("hard bounce")
    COMPLAINT = "complaint", _("complaint")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    MANUAL = "manual", _("manual")


SUPPRESSION_SOURCE_MAX_LENGTH = 1000


class Suppression(models.Model):
    """An address not to send to: all mail, or the digest only.

    ``key`` is what makes two spellings one entry (``reminders.addresses.address_key``):
    unique with the scope, so an address is on the list at most once per scope.
    """

    address = models.CharField(
        _("address"),
        max_length=254,
        help_text=_("Its domain in lower case; compared without regard to case."),
    )
    key = models.CharField(max_length=64, editable=False)
    scope = models.CharField(
        _("scope"), max_length=16, choices=SuppressionScope.choices, default=SuppressionScope.ALL
    )
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    source = models.CharField(
        _("source"),
        max_length=SUPPRESSION_SOURCE_MAX_LENGTH,
        blank=True,
        default="",
        help_text=_("The SMTP reply, the provider's event or the staff member."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [
            # Also the index of suppressed(): key IN (...) AND scope IN (...).
            models.UniqueConstraint(fields=["key", "scope"], name="suppression_key_scope_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_scope_display()}: {self.get_reason_display()})"

    def save(self, *args, **kwargs) -> None:
        self.address = normalise_address(self.address)
        self.key = address_key(self.address)
        super().save(*args, **kwargs)


class MailEvent(models.Model):
    """One event a provider reported through its webhook (delivered, bounced, complained,
    …), normalised by django-anymail; kept for staff, matched to its email when the
    provider gave the email's Message-ID back."""

    provider = models.CharField(_("provider"), max_length=32)
    event_type = models.CharField(_("event"), max_length=32)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True, default="")
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("The email's own Message-ID header, when the provider reported it."),
    )
    provider_message_id = models.CharField(
        _("provider's message id"), max_length=255, blank=True, default=""
    )
    reminder = models.ForeignKey(
        Reminder,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mail_events",
        verbose_name=_("email"),
    )
    event_id = models.CharField(_("provider's event id"), max_length=255, blank=True, default="")
    # What a retried delivery of the same event shares (reminders/mail_events.py).
    key = models.CharField(max_length=64, unique=True, editable=False)
    timestamp = models.DateTimeField(_("reported at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, default="")
    reject_reason = models.CharField(_("reject reason"), max_length=32, blank=True, default="")
    mta_response = models.TextField(_("server's response"), blank=True, default="")
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    suppressed = models.BooleanField(
        _("suppressed"),
        default=False,
        help_text=_("Whether this event put the address on the suppression list."),
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        indexes = [
            # An address's history (the suppression list links to it).
            models.Index(fields=["recipient", "received_at"], name="mail_event_recipient_idx")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.recipient}"
