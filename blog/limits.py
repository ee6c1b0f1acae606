"""How often one may comment: per account and per client address, counted in the cache.

The counters live in Django's cache, so with ``CACHE_URL=redis://…`` every web process
counts together (with the default per-process cache each process counts alone). Each
limit is a window that opens with the first comment: ``cache.add`` opens it,
``cache.incr`` counts atomically, so two requests at once can never both take the last
place; once it has expired the next comment opens a new one. The address is
``config.client_ip.client_ip``: behind ``TRUSTED_PROXY_COUNT`` proxies, the real
client's, as for every other limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from config.client_ip import client_ip

__all__ = ["CommentRefusal", "client_ip", "comment_rate_take"]

ACCOUNT_WINDOW = 60
ADDRESS_WINDOW = 3600


@dataclass(frozen=True)
class CommentRefusal:
    """Over a limit: ``retry_after`` seconds until the window that refused ends."""

    retry_after: int


def _take(scope: str, ident: str, *, limit: int, window: int) -> int | None:
    """Count one comment in this window; seconds to wait when it is over ``limit``."""
    if limit <= 0:
        return None
    now = time.time()
    key = f"blog:comment-rate:{scope}:{ident}"
    # The window opens with the first comment and lasts `window` seconds (incr keeps
    # the expiry add() gave the key); its start is kept to say how long to wait.
    if cache.add(key, 0, timeout=window):
        cache.set(f"{key}:start", now, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired or evicted between add() and incr()
        cache.set(key, 1, timeout=window)
        cache.set(f"{key}:start", now, timeout=window)
        count = 1
    if count <= limit:
        return None
    start = cache.get(f"{key}:start", now)
    return max(1, math.ceil(start + window - now))


def comment_rate_take(*, user_id: int, address: str) -> CommentRefusal | None:
    """Count a comment about to be posted by this account from this address; a
    refusal when either is over its limit (``BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT``,
    ``BLOG_COMMENTS_PER_HOUR_PER_ADDRESS``). Refused attempts count too: a burst does
    not end the wait sooner."""
    waits = [
        _take(
            "account",
            str(user_id),
            limit=settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT,
            window=ACCOUNT_WINDOW,
        ),
        _take(
            "address",
            address,
            limit=settings.BLOG_COMMENTS_PER_HOUR_PER_ADDRESS,
            window=ADDRESS_WINDOW,
        ),
    ]
    refused = [wait for wait in waits if wait is not None]
    return CommentRefusal(retry_after=max(refused)) if refused else None
