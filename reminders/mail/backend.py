"""Django's SMTP backend, with a timeout of its own for the reply to the end of DATA.

RFC 5321, section 4.5.3.2.6, gives a server 10 minutes to answer the final dot: it may
be running content filters, or relaying, and it has already stored the message. A
client that gives up earlier cannot tell whether the email was accepted, and sending
it again may deliver a second copy. So every command waits ``EMAIL_TIMEOUT`` as
before, but the final reply waits ``REMINDERS_SMTP_DATA_TIMEOUT``; and the connection
remembers whether the body was sent (``body_sent``), so that a timeout or a lost
connection after it is reported as "outcome unknown" (``smtp.SendOutcome.unknown``),
never as a temporary failure to retry (docs/reminders.md, "Outcome unknown").
"""

from __future__ import annotations

import functools
import smtplib

from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address

DJANGO_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
BACKEND = "reminders.mail.backend.EmailBackend"
END_OF_DATA = b"\r\n.\r\n"


class _DataReplyTimeout:
    """Mixed into ``smtplib.SMTP``: the body's final dot switches the socket to
    ``data_timeout`` for the one reply that follows it."""

    data_timeout: float | None = None
    # Whether the current message's body (with its final dot) went to the server.
    body_sent: bool = False

    def mail(self, *args, **kwargs):
        self.body_sent = False  # a new message begins
        return super().mail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        # smtplib.SMTP.data() sends the whole quoted body in one call, ending with the
        # dot; commands are str, and a body line starting with "." is doubled.
        if isinstance(s, bytes) and s.endswith(END_OF_DATA):
            self.body_sent = True
            if self.data_timeout is not None and self.sock is not None:
                self.sock.settimeout(self.data_timeout)

    def data(self, msg):
        try:
            return super().data(msg)
        finally:
            if self.sock is not None:  # None: smtplib closed it after a failure
                self.sock.settimeout(self.timeout)


class DataReplyTimeoutSMTP(_DataReplyTimeout, smtplib.SMTP):
    pass


class DataReplyTimeoutSMTP_SSL(_DataReplyTimeout, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """``django.core.mail.backends.smtp.EmailBackend`` whose connections wait
    ``data_timeout`` seconds for the reply to the end of DATA."""

    def __init__(self, *args, data_timeout: float | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data_timeout = data_timeout

    @property
    def connection_class(self):
        return DataReplyTimeoutSMTP_SSL if self.use_ssl else DataReplyTimeoutSMTP

    def open(self) -> bool | None:
        opened = super().open()
        if self.connection is not None:
            self.connection.data_timeout = self.data_timeout
        return opened

    def _send(self, email_message) -> bool:
        """Django 5.2's ``_send``, with the envelope sender's ``sanitize_address()``
        remembered: every email of a batch has the same one, and parsing it again
        cost about 45 µs per email (docs/benchmarks.md). The recipients are parsed as
        Django does; an error is never remembered (``lru_cache`` keeps only returns)."""
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = _envelope_sender(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        message = email_message.message()
        try:
            self.connection.sendmail(from_email, recipients, message.as_bytes(linesep="\r\n"))
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


@functools.lru_cache(maxsize=16)
def _envelope_sender(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)
