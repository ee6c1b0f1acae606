"""Email addresses as the suppression list compares them (docs/email.md, "Suppression list").

Pure functions, no models: ``reminders.models`` and ``reminders.suppression`` share them.
"""

from __future__ import annotations

import contextlib
import hashlib
from email.utils import parseaddr


def normalise_address(address: str) -> str:
    """``address`` as stored: the bare address of a ``Name <a@b>`` form, stripped, its
    domain lower-cased and its local part as given."""
    address = address.strip()
    if "<" in address:
        address = parseaddr(address)[1] or address
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local}@{domain.strip().lower()}"


def address_key(address: str) -> str:
    """What two addresses share when the list treats them as one: the SHA-256 of the
    address case-folded whole (local part too) with its domain in IDNA (ASCII) form.

    A hash of hex digits, so the comparison is the same on every database and under any
    collation: MariaDB's default one would also equate ``é`` and ``e``.
    """
    local, at, domain = normalise_address(address).rpartition("@")
    if at:
        with contextlib.suppress(UnicodeError):  # not a valid IDN: compared as written
            domain = domain.encode("idna").decode("ascii")
    folded = f"{local.casefold()}{at}{domain.casefold()}"
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
