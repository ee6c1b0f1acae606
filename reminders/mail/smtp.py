"""Sending many emails over one SMTP connection, with an outcome for each.

Django's ``send_messages()`` raises ``SMTPRecipientsRefused`` only when every
recipient of a message is refused, and one exception ends the whole call. Here each
message (one recipient each) is handed to the open connection on its own, so the
server's answer to that message (accepted, a 4xx or 5xx refusal of its recipient, a
rejected DATA) is that message's outcome alone, and the next message goes out over
the same connection. Only a failure of the connection itself (refused, timed out,
dropped, or a 421 "closing") stops the run.

Two outcomes are not failures to try again. A message that cannot be built into
SMTP (an address such as ``a@b@example.com`` or an empty one, a line break in a
header) is refused for good at once: no server could take it (``permanent``). A
timeout or a lost connection *after the body was sent* is ``unknown``: the server
may have stored the message, and only a person can tell whether to send it again
(docs/reminders.md, "Outcome unknown"). The reply to the end of DATA has a timeout
of its own, ``REMINDERS_SMTP_DATA_TIMEOUT`` (``backend.py``).

:func:`smtp_send_each` is a generator: it yields each outcome as soon as the server
answered, and sends nothing more until the caller asks for the next one. The
reminders batch marks a reminder sent in that pause, so at most one accepted email
per connection is ever unrecorded if the process dies (docs/reminders.md, "The
duplicate window").
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from . import backend

logger = logging.getLogger(__name__)

Key = TypeVar("Key")

# "421 Service not available, closing transmission channel": the connection is gone.
SMTP_CLOSING = 421
# RFC 3463's enhanced status code after a refusal's reply code: "550 5.1.1 ...".
_ENHANCED_STATUS = re.compile(r"refused: \d{3} ([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True)
class SendOutcome(Generic[Key]):
    """What the server said about one message.

    ``accepted``: the server took it. Otherwise ``permanent`` tells a 5xx (do not try
    again) from a temporary failure, and ``connection_lost`` that no later message
    of this run was sent: the caller decides what becomes of them. ``reply_code`` is
    the server's refusal (450, 550, a 421 "closing"), None when it never answered
    (refused, timed out, dropped) or when it accepted. ``unknown``: the body was
    sent and no reply came (a timeout, a lost connection): the server may have the
    message, so it must not be sent again automatically.
    """

    key: Key
    accepted: bool
    permanent: bool = False
    error: str = ""
    connection_lost: bool = False
    reply_code: int | None = None
    unknown: bool = False
    # The server refused the recipient (RCPT TO), not the sender or the message.
    recipient_refused: bool = False

    @property
    def bad_address(self) -> bool:
        """Whether the server said for good that this address does not take mail: a
        5xx refusal of the recipient with an enhanced status code 5.1.x (bad address:
        no such user or domain) or 5.2.1 (mailbox disabled), or a bare 550, 551 or 553
        without one. A policy refusal (5.7.x: relaying denied, spam) or a full mailbox
        (5.2.2, 552) says nothing against the address: not a hard bounce."""
        if not (self.recipient_refused and self.permanent):
            return False
        match = _ENHANCED_STATUS.search(self.error)
        if match is None:
            return self.reply_code in (550, 551, 553)
        status = match.group(1)
        return status.startswith("5.1.") or status == "5.2.1"


def smtp_failure(exc: BaseException) -> tuple[bool, str]:
    """(permanent, description) of a failed send.

    SMTP replies 5xx, a recipient refused with 5xx included, are permanent; 4xx
    replies, refused connections, timeouts and anything unexpected are temporary.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = exc.recipients.values()
        permanent = bool(replies) and all(code >= 500 for code, _ in replies)
        description = "; ".join(
            f"{address} refused: {code} {_text(reply)}"
            for address, (code, reply) in exc.recipients.items()
        )
        return permanent, description
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
    return False, f"{type(exc).__name__}: {exc}"


def smtp_reply_code(exc: BaseException) -> int | None:
    """The SMTP reply that refused a message, None when the server gave none."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return max((code for code, _ in exc.recipients.values()), default=None)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _connection_survives(exc: Exception) -> bool:
    """Whether the server answered this message and kept the connection open: a
    refused recipient, a refused sender or a rejected DATA (smtplib sends RSET after
    each), but not a 421, which closes it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code != SMTP_CLOSING for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code != SMTP_CLOSING


def smtp_connection():
    """A connection of the backend that delivers (``REMINDERS_EMAIL_BACKEND``, or
    ``EMAIL_BACKEND`` in a project without an outbox); Django's SMTP backend becomes the one
    with a timeout of its own for the reply to the end of DATA (``backend.py``)."""
    name = getattr(settings, "REMINDERS_EMAIL_BACKEND", settings.EMAIL_BACKEND)
    if name == backend.DJANGO_SMTP_BACKEND:
        return get_connection(
            backend.BACKEND,
            timeout=settings.EMAIL_TIMEOUT,
            data_timeout=settings.REMINDERS_SMTP_DATA_TIMEOUT,
        )
    return get_connection(name, timeout=settings.EMAIL_TIMEOUT)


def _reset(connection) -> None:
    """RSET after a message refused before its body: nothing of it stays pending."""
    try:
        connection.connection.rset()
    except Exception:  # the next message meets a dead connection and says so
        logger.debug("RSET failed", exc_info=True)


def smtp_send_each(
    keys: Iterable[Key], build: Callable[[Key], EmailMessage], *, connection=None
) -> Iterator[SendOutcome[Key]]:
    """Send ``build(key)`` for each key, each on its own over one SMTP connection, and
    yield its outcome as soon as the server answered.

    The connection is opened before the first message (a failure to open it is the
    first message's outcome, with ``connection_lost``) and closed when the generator
    ends or is closed. ``keys`` is consumed lazily: a caller may stop early (a
    deadline) and the messages it never asked for are never built or sent. A message
    whose template fails (``build`` raises) is a temporary failure of that key only; one
    whose addresses or headers cannot be encoded, or which has no recipient (Django's
    ``send()`` returns 0), is a permanent failure of that key only. Values are logged
    with ``%r``: a line break in a stored subject cannot forge a log line.
    """
    connection = connection or smtp_connection()
    try:
        for key in keys:
            try:
                message = build(key)
            except Exception as exc:
                logger.exception("The email of %r could not be built", str(key))
                yield SendOutcome(key, False, error=f"{type(exc).__name__}: {exc}")
                continue
            smtp = None
            try:
                connection.open()  # once: an open connection returns at once
                smtp = getattr(connection, "connection", None)
                if smtp is not None:
                    smtp.body_sent = False  # of this message, not the one before
                message.connection = connection
                # One recipient per message: this is the server's answer to it alone.
                sent = message.send()
            except Exception as exc:
                if getattr(smtp, "body_sent", False) and not isinstance(
                    exc, smtplib.SMTPResponseException
                ):
                    # The server has the whole message and never answered.
                    logger.warning(
                        "No reply to the end of DATA for the email of %r (%s: %s): "
                        "outcome unknown, not sent again",
                        str(key),
                        type(exc).__name__,
                        exc,
                    )
                    yield SendOutcome(
                        key,
                        False,
                        error=f"Outcome unknown: no reply after the message was sent "
                        f"({type(exc).__name__}: {exc})",
                        connection_lost=True,
                        unknown=True,
                    )
                    return
                if isinstance(exc, ValueError):
                    # Raised before the message's first command (Django's
                    # sanitize_address, BadHeaderError, an address smtplib cannot encode).
                    error = f"Cannot be sent: {type(exc).__name__}: {exc}"
                    logger.warning("The email of %r cannot be sent: %r", str(key), str(exc))
                    _reset(connection)
                    yield SendOutcome(key, False, permanent=True, error=error)
                    continue
                if not isinstance(exc, (smtplib.SMTPException, OSError)):
                    logger.exception("Unexpected error sending the email of %r", str(key))
                permanent, error = smtp_failure(exc)
                survives = _connection_survives(exc)
                yield SendOutcome(
                    key,
                    False,
                    permanent=permanent,
                    error=error,
                    connection_lost=not survives,
                    reply_code=smtp_reply_code(exc),
                    recipient_refused=isinstance(exc, smtplib.SMTPRecipientsRefused),
                )
                if not survives:
                    return
            else:
                if not sent:  # Django's backend sends nothing to a message without recipient
                    error = "Cannot be sent: the email has no recipient address"
                    logger.warning("The email of %r has no recipient; nothing sent", str(key))
                    yield SendOutcome(key, False, permanent=True, error=error)
                    continue
                yield SendOutcome(key, True)
    finally:
        try:
            connection.close()
        except Exception:  # closing a connection the server dropped may fail: nothing to do
            logger.debug("SMTP connection closed uncleanly", exc_info=True)
