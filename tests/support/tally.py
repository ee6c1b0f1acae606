"""Counting what the SMTP sink received against what was expected: sent, lost, duplicates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses


def recipients(message: EmailMessage) -> list[str]:
    return [address.lower() for _, address in getaddresses(message.get_all("To", []))]


@dataclass(frozen=True)
class Tally:
    """``sent``: recipients reached; ``lost``: not reached; ``duplicates``: extra copies."""

    expected: int
    sent: int
    lost: int
    duplicates: int
    lost_recipients: tuple[str, ...] = ()
    duplicated_recipients: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        return f"sent={self.sent} lost={self.lost} duplicates={self.duplicates}"

    def report(self) -> str:
        """The line every fault test prints, and the first few culprits when there are any."""
        text = self.line
        if self.lost_recipients:
            text += f"\n  lost, e.g.: {', '.join(self.lost_recipients[:5])}"
        if self.duplicated_recipients:
            text += f"\n  duplicated, e.g.: {', '.join(self.duplicated_recipients[:5])}"
        return text


def tally(
    messages: Iterable[EmailMessage], expected: Iterable[str], *, subject: str | None = None
) -> Tally:
    """Count, per expected recipient, the messages the sink received (with ``subject`` if given)."""
    wanted = {address.lower() for address in expected}
    received: Counter[str] = Counter()
    for message in messages:
        if subject is not None and str(message["Subject"]) != subject:
            continue
        for address in recipients(message):
            if address in wanted:
                received[address] += 1
    lost = sorted(wanted - set(received))
    duplicated = sorted(address for address, count in received.items() if count > 1)
    return Tally(
        expected=len(wanted),
        sent=len(received),
        lost=len(lost),
        duplicates=sum(count - 1 for count in received.values()),
        lost_recipients=tuple(lost),
        duplicated_recipients=tuple(duplicated),
    )
