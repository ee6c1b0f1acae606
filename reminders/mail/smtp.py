"""Sending many emails over one SMTP connection, with an outcome for each.

Django's ``send_messages()`` raises ``SMTPRecipientsRefused`` only when every
recipient of a message is refused, and one exception ends the whole call. Here each
message (one recipient each) is handed to the open connection on its own, so the
server's answer to that message (accepted, a 4xx or 5xx refusal of its recipient, a
rejected DATA) is that message's outcome alone, and the next message goes out over
the same connection. Only a failure of the connection itself (refused, timed out,
dropped, or a 421 "closing") stops the run.

:func:`smtp_send_each` is a generator: it yields each outcome as soon as the server
answered, and sends nothing more until the caller asks for the next one. The
reminders batch marks a reminder sent in that pause, so at most one accepted email
per connection is ever unrecorded if the process dies (docs/reminders.md, "The
duplicate window").
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)

Key = TypeVar("Key")

# "421 Service not available, closing transmission channel": the connection is gone.
SMTP_CLOSING = 421


@dataclass(frozen=True)
class SendOutcome(Generic[Key]):
    """What the server said about one message.

    ``accepted``: the server took it. Otherwise ``permanent`` tells a 5xx (do not try
    again) from a temporary failure, and ``connection_lost`` that no later message
    of this run was sent: the caller decides what becomes of them. ``reply_code`` is
    the server's refusal (450, 550, a 421 "closing"), None when it never answered
    (refused, timed out, dropped) or when it accepted.
    """

    key: Key
    accepted: bool
    permanent: bool = False
    error: str = ""
    connection_lost: bool = False
    reply_code: int | None = None


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


def smtp_send_each(
    keys: Iterable[Key], build: Callable[[Key], EmailMessage], *, connection=None
) -> Iterator[SendOutcome[Key]]:
    """Send ``build(key)`` for each key, each on its own over one SMTP connection, and
    yield its outcome as soon as the server answered.

    The connection is opened before the first message (a failure to open it is the
    first message's outcome, with ``connection_lost``) and closed when the generator
    ends or is closed. ``keys`` is consumed lazily: a caller may stop early (a
    deadline) and the messages it never asked for are never built or sent. A message
    that cannot be built (a template error) is a temporary failure of that key only.
    """
    connection = connection or get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        for key in keys:
            try:
                message = build(key)
            except Exception as exc:
                logger.exception("The email of %s could not be built", key)
                yield SendOutcome(key, False, error=f"{type(exc).__name__}: {exc}")
                continue
            try:
                connection.open()  # once: an open connection returns at once
                message.connection = connection
                # One recipient per message: this is the server's answer to it alone.
                message.send()
            except Exception as exc:
                if not isinstance(exc, (smtplib.SMTPException, OSError)):
                    logger.exception("Unexpected error sending the email of %s", key)
                permanent, error = smtp_failure(exc)
                survives = _connection_survives(exc)
                yield SendOutcome(
                    key,
                    False,
                    permanent=permanent,
                    error=error,
                    connection_lost=not survives,
                    reply_code=smtp_reply_code(exc),
                )
                if not survives:
                    return
            else:
                yield SendOutcome(key, True)
    finally:
        try:
            connection.close()
        except Exception:  # closing a connection the server dropped may fail: nothing to do
            logger.debug("SMTP connection closed uncleanly", exc_info=True)
