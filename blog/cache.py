"""What the blog keeps in Django's cache: anonymous visitors' whole pages, and for
everyone the pages' content fragments (``blog.views.fragments``) and the sidebar.

Rendering ten posts with their tags costs far more than serving a stored copy. A copy
is kept under a key holding the *content version*; any change to a post, comment, tag,
image or author's name moves the version once the transaction commits, so the next
reader gets a fresh one. Nothing is written when a scheduled post's time comes, so no
copy is kept past the next scheduled publication (``content_timeout``). Copies also
expire after ``BLOG_PAGE_CACHE_SECONDS``, which bounds how stale another process's copy
can be when the cache is per process (the default ``locmemcache://``; set
``CACHE_URL=redis://...`` to share it). docs/blog.md, "Caching".
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation

from .models import Post

VERSION_KEY = "blog:content-version"
# The next scheduled publication known to one content version (a Unix time, 0 for none).
NEXT_PUBLICATION_KEY = "blog:next-publication:{version}"


def content_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(time.time_ns())
        # add(): two processes starting at once agree on one version.
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def content_changed() -> None:
    """Every cached copy (pages, fragments, the sidebar) is out of date from now on."""
    cache.set(VERSION_KEY, str(time.time_ns()), timeout=None)


def content_cache_key(name: str) -> str | None:
    """The key of ``name`` for the current content, or None when caching is off.

    Take the key *before* reading what it will hold: a change committed in between then
    lands under the new version, never under the old one."""
    if settings.BLOG_PAGE_CACHE_SECONDS <= 0:
        return None
    return f"blog:{name}:{content_version()}"


def next_publication() -> float | None:
    """When the next scheduled post (not a draft) becomes visible, as a Unix time, or
    None. Asked of the database once per content version, and again once that time has
    passed: a post scheduled later is a write, which moves the version."""
    key = NEXT_PUBLICATION_KEY.format(version=content_version())
    due = cache.get(key)
    now = time.time()
    if due is None or 0 < due <= now:
        date = (
            Post.objects.filter(is_draft=False, publish_date__gt=datetime.fromtimestamp(now, UTC))
            .order_by("publish_date")
            .values_list("publish_date", flat=True)
            .first()
        )
        due = date.timestamp() if date is not None else 0
        cache.set(key, due, max(settings.BLOG_PAGE_CACHE_SECONDS, 3600))
    return due or None


def content_timeout() -> int:
    """Seconds a copy of content read now may be kept: ``BLOG_PAGE_CACHE_SECONDS``, or
    less so that it is gone when the next scheduled post appears. 0: do not keep it."""
    seconds = settings.BLOG_PAGE_CACHE_SECONDS
    due = next_publication()
    if due is not None:
        # Whole seconds, rounded down: every backend keeps at least that precision.
        seconds = min(seconds, math.floor(due - time.time()))
    return max(seconds, 0)


def content_cache_set(key: str, value) -> None:
    """Keep ``value`` under ``key`` (from ``content_cache_key``) for ``content_timeout``."""
    if (timeout := content_timeout()) > 0:
        cache.set(key, value, timeout)


def page_cache_key(request: HttpRequest) -> str | None:
    """The key of this request's page, or None when it must be rendered afresh:
    signed-in users (their name, links and permissions are on it), pending messages,
    anything but GET, or caching switched off."""
    if request.method != "GET" or request.user.is_authenticated:
        return None
    if len(messages.get_messages(request)):
        return None
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    # One copy per language: the same address reads in English or in Chinese.
    return content_cache_key(f"page:{translation.get_language()}:{path}")


def fragment_cache_key(request: HttpRequest) -> str | None:
    """The key of this address's content fragments in the current language, or None
    when caching is off. For every reader, signed in or not: fragments hold nothing
    personal (``blog.views.fragments``)."""
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return content_cache_key(f"fragment:{translation.get_language()}:{path}")
