"""The message classes of the emails the pipeline sends (built, or stored whole), and
their Message-ID domain."""

from __future__ import annotations

import email
import email.message
import email.policy
import uuid
from email._policybase import Compat32
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from django.core.mail import EmailMessage, EmailMultiAlternatives


class _FastCompat32(Compat32):
    """The standard library's ``compat32`` policy (Django's), with a shortcut for the
    common header: an ASCII value on one line that fits in ``max_line_length`` is
    written as is, which is what ``Header.encode()`` makes of it anyway, without building
    a ``Header`` for it. Everything else goes the standard way. Serialising a small
    email took about 125 µs, 49 µs with this (py-spy: the largest part of a batch's
    CPU per email; docs/benchmarks.md); ``tests/reminders/test_messages.py`` checks the bytes are
    the same."""

    def fold_binary(self, name: str, value) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and self.max_line_length is not None
            and len(name) + len(value) + 2 <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


FAST_POLICY = _FastCompat32()


def fast_serialisation(message: email.message.Message) -> email.message.Message:
    """``message`` (a Django MIME message) set to serialise with :data:`FAST_POLICY`."""
    message.policy = FAST_POLICY
    return message


class BatchEmail(EmailMultiAlternatives):
    """An email with alternatives whose MIME boundary is a random UUID chosen up front.

    Without one, the standard library's generator picks a boundary for each message and
    compiles a regular expression to check the body for it: about a sixth of the
    serialising CPU of a small email. No body can contain a UUID drawn at send time.
    """

    def message(self, *args, **kwargs):
        message = fast_serialisation(super().message(*args, **kwargs))
        if message.is_multipart():
            message.set_boundary(f"=============={uuid.uuid4().hex}==")
        return message


def message_id_domain(from_email: str) -> str:
    """The domain of a ``From:`` address (``"Name <a@example.com>"``), for Message-IDs;
    ``localhost`` when it has none."""
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def message_id_of(raw: bytes) -> str:
    """The Message-ID header of a stored message, "" when it has none."""
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip()


class _StoredMIME(email.message.Message):
    """A message parsed from stored bytes that serialises back to exactly those bytes:
    what was written to the outbox is what the server receives."""

    def __init__(self, raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        self.__dict__.update(parsed.__dict__)
        self._raw = raw

    def as_bytes(self, unixfrom: bool = False, policy=None, linesep: str = "\n") -> bytes:
        return self._raw.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, maxheaderlen: int = 0, policy=None) -> str:
        return self.as_bytes().decode(errors="replace")


class StoredEmail(EmailMessage):
    """An email already serialised (the outbox's ``raw_message``), sent as is to the
    one envelope recipient given: its To and Cc headers are those it was written with.

    Sending reads only the envelope sender from it (the ``From`` header's address).
    ``subject`` and ``body`` (the first text/plain part) are read back on demand, for
    whoever looks at it (the console and in-memory backends, a shell): parsing the
    whole message for them took about 1.4 ms, more than the rest of a send.
    """

    def __init__(self, raw: bytes, *, to: str, connection=None) -> None:
        self.raw = bytes(raw)
        self._read: email.message.EmailMessage | None = None
        sender = str(BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)["From"])
        super().__init__(from_email=parseaddr(sender)[1] or sender, to=[to], connection=connection)

    def _stored(self) -> email.message.EmailMessage:
        if self._read is None:
            self._read = email.message_from_bytes(self.raw, policy=email.policy.default)
        return self._read

    # EmailMessage.__init__ assigns both; an empty value means "as stored".
    @property
    def subject(self) -> str:
        return self._subject or str(self._stored().get("Subject", ""))

    @subject.setter
    def subject(self, value: str) -> None:
        self._subject = value

    @property
    def body(self) -> str:
        if self._body:
            return self._body
        text = self._stored().get_body(preferencelist=("plain",))
        return text.get_content() if text is not None else ""

    @body.setter
    def body(self, value: str) -> None:
        self._body = value

    def message(self, *args, **kwargs) -> email.message.Message:
        return _StoredMIME(self.raw)
