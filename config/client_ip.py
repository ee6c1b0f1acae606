"""The client's address, the one every limit keys on: ``client_ip(request)``.

Forwarding headers are written by whoever sends the request, so ``X-Forwarded-For`` is
believed only as far as the operator says: ``TRUSTED_PROXY_COUNT`` reverse proxies
(docs/security.md, "Behind a proxy"). Each proxy appends the address it received the
request from, so with ``n`` proxies the client is the ``n``-th address from the right;
whatever the client wrote itself is further left and is ignored. With the default, 0,
the header is ignored altogether and the address is the socket's (``REMOTE_ADDR``).

DRF's throttles (``config.throttling``), allauth's rate limits
(``blog.adapters.AccountAdapter.get_client_ip``) and the login lockout (django-axes'
``AXES_CLIENT_IP_CALLABLE``) all call this function, so they agree on who a client is.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# The answer when the socket address itself is missing or unreadable (a test client, a
# unix socket): one shared bucket, so the limits still hold.
UNKNOWN_ADDRESS = "0.0.0.0"


def _clean(value: str | None) -> str | None:
    """``value`` as a normalised IP address, or None if it is not one."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as the trusted proxies saw it.

    Never raises, whatever the headers say: a header with fewer addresses than there are
    trusted proxies (the request did not come through them all) or an entry that is not
    an address falls back to the socket's address.
    """
    meta = getattr(request, "META", {})
    remote = _clean(meta.get("REMOTE_ADDR")) or UNKNOWN_ADDRESS
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return _clean(forwarded[-count]) or remote
