"""What search engines, feed readers and link previews read: the site's public
address, absolute links, a post's description and its JSON-LD.

``SITE_URL`` is the one public address: canonical links, the sitemap, ``robots.txt``,
OpenGraph and JSON-LD use it, and ``migrate`` writes its host into the Sites row that
allauth's emails name (docs/blog.md, "Search engines and sharing"). Pages cached for
anonymous visitors hold nothing taken from the request's ``Host`` header.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

DESCRIPTION_CHARS = 160
SITE_NAME = "Lightblog"
SITE_DESCRIPTION = _("Lightblog: short posts on code, tools and life, in English and Chinese.")

# The sanitizer (nh3) writes every attribute double-quoted, so this finds every link
# and image address in a post's stored HTML.
_LINK_ATTRIBUTE = re.compile(r'(?P<name>\b(?:href|src))="(?P<url>[^"]*)"')


def site_url() -> str:
    """``SITE_URL`` without its trailing slash, e.g. ``https://blog.example.com``."""
    return settings.SITE_URL.rstrip("/")


def site_parts() -> tuple[str, str]:
    """The scheme and host (with port) of ``SITE_URL``."""
    parts = urlsplit(site_url())
    return parts.scheme or "http", parts.netloc


def absolute(path: str) -> str:
    """``path`` on the site's public address."""
    return urljoin(site_url() + "/", path)


def absolutize_links(html: str, base: str) -> str:
    """Sanitized HTML with its site-relative links (``/post/x/``, ``img.png``) made
    absolute against ``base``; absolute, ``mailto:`` and fragment links are left."""

    def rewrite(match: re.Match) -> str:
        url = match["url"]
        if not url or url.startswith("#") or urlsplit(url).scheme:
            return match[0]
        return f'{match["name"]}="{urljoin(base, url)}"'

    return _LINK_ATTRIBUTE.sub(rewrite, html)


def description(html: str, limit: int = DESCRIPTION_CHARS) -> str:
    """Plain text for ``<meta name="description">`` and link previews: the start of
    the HTML's text on one line, at most ``limit`` characters."""
    text = " ".join(strip_tags(html).split())
    return Truncator(text).chars(limit, truncate="…")


def post_image(post):
    """The post's first image (for link previews), from the prefetched images, or None."""
    images = list(post.images.all())
    return images[0] if images else None


def post_image_url(post) -> str | None:
    """The absolute address of the first image's widest rendition, or None."""
    image = post_image(post)
    return absolute(image.src) if image is not None else None


def post_json_ld(post, *, image: str | None = None) -> dict:
    """schema.org ``BlogPosting`` of a published post."""
    url = absolute(post.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": post.title[:110],
        "description": description(post.excerpt or post.html),
        "datePublished": post.publish_date.isoformat(),
        "dateModified": post.updated.isoformat(),
        "author": {
            "@type": "Person",
            "name": post.author.get_username(),
            "url": absolute(post.author.get_absolute_url()),
        },
        "publisher": {"@type": "Organization", "name": SITE_NAME, "url": absolute("/")},
        "keywords": [tag.title for tag in post.tags.all()],
    }
    image = image or post_image_url(post)
    if image:
        data["image"] = image
    return data


def site_row_sync() -> None:
    """The Sites row (what allauth's emails call the site) takes the host of
    ``SITE_URL``, so an email never names one address and links to another. Run after
    every ``migrate``; a name set in the admin is kept."""
    from django.contrib.sites.models import Site

    host = site_parts()[1]
    site, created = Site.objects.get_or_create(
        pk=settings.SITE_ID, defaults={"domain": host, "name": SITE_NAME}
    )
    if not created and site.domain != host:
        site.domain = host
        site.save(update_fields=["domain"])
    Site.objects.clear_cache()
