"""The suppression list: addresses not to send to (docs/email.md, "Suppression list").

The pipeline asks ``suppressed()`` before every send and calls ``suppress()`` after a
5xx refusal of a recipient; the providers' webhooks (``mail_events.py``) and the admin
call ``suppress()`` too. Addresses compare case-insensitively, local part included, on
every database (``reminders.addresses.address_key``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from .addresses import address_key, normalise_address
from .models import SUPPRESSION_SOURCE_MAX_LENGTH, Suppression, SuppressionReason, SuppressionScope

__all__ = ["normalise_address", "suppress", "suppressed", "unsuppress"]

logger = logging.getLogger(__name__)


def suppress(
    address: str,
    *,
    scope: SuppressionScope = SuppressionScope.ALL,
    reason: SuppressionReason,
    source: str,
    created_by: AbstractBaseUser | None = None,
) -> Suppression:
    """Put ``address`` on the list for ``scope``; the entry already there, if any, is
    kept as it is and returned. Safe against a concurrent call for the same address:
    the unique (key, scope) constraint decides, the loser reads the winner's row."""
    address = normalise_address(address)
    key = address_key(address)
    existing = Suppression.objects.filter(key=key, scope=scope).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            entry = Suppression.objects.create(
                address=address,
                scope=scope,
                reason=reason,
                source=source[:SUPPRESSION_SOURCE_MAX_LENGTH],
                created_by=created_by,
            )
    except IntegrityError:
        # Another request or worker added it since the read above (under READ
        # COMMITTED, Django's isolation on MariaDB, its committed row is visible now).
        return Suppression.objects.get(key=key, scope=scope)
    logger.info("Suppressed %s (%s, %s): %s", address, scope, reason, entry.source)
    return entry


def unsuppress(address: str, *, scope: SuppressionScope | None = None) -> int:
    """Take ``address`` off the list (one scope, or both): it is mailed again. Returns
    how many entries went."""
    entries = Suppression.objects.filter(key=address_key(address))
    if scope is not None:
        entries = entries.filter(scope=scope)
    deleted, _ = entries.delete()
    return deleted


def suppressed(addresses: Iterable[str], *, digest: bool) -> dict[str, Suppression]:
    """The entries that forbid mailing each of ``addresses``, keyed by the address as
    given; an address not in the result may be mailed.

    An "all mail" entry applies to every email, a "digest only" entry when ``digest``
    is true; an address with both gets its "all mail" entry. One query for any number
    of addresses (a digest chunk's recipients, an email's To and Cc), none for none.
    """
    by_key: dict[str, list[str]] = {}
    for address in addresses:
        by_key.setdefault(address_key(address), []).append(address)
    if not by_key:
        return {}
    scopes = [SuppressionScope.ALL, SuppressionScope.DIGEST] if digest else [SuppressionScope.ALL]
    found: dict[str, Suppression] = {}
    for entry in Suppression.objects.filter(key__in=by_key, scope__in=scopes):
        if entry.key not in found or entry.scope == SuppressionScope.ALL:
            found[entry.key] = entry
    return {
        address: found[key] for key, given in by_key.items() if key in found for address in given
    }
