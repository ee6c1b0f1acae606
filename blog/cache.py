"""The cache of the blog's list pages (home, tag, author) for anonymous visitors.

Rendering ten posts with their tags costs far more than serving a stored page, and
most readers are not signed in. A page is kept under a key holding the *content
version*; any change to a post, comment or tag moves the version once the transaction
commits, so the next visitor gets a fresh page. Pages also expire after
``BLOG_PAGE_CACHE_SECONDS``, which bounds how late a scheduled post appears and how
stale another process's copy can be when the cache is per process (the default
``locmemcache://``; set ``CACHE_URL=redis://...`` to share it).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation

VERSION_KEY = "blog:content-version"


def content_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(time.time_ns())
        # add(): two processes starting at once agree on one version.
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def content_changed() -> None:
    """Every cached list page is out of date from now on."""
    cache.set(VERSION_KEY, str(time.time_ns()), timeout=None)


def content_cache_key(name: str) -> str | None:
    """The key of ``name`` for the current content, or None when caching is off."""
    if settings.BLOG_PAGE_CACHE_SECONDS <= 0:
        return None
    return f"blog:{name}:{content_version()}"


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
