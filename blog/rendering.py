"""Markdown to safe HTML, and slugs: pure functions the models call when saving.

The Markdown is parsed by ``blog.markdown_format`` (markdown-it-py with what posts were
written for) within the budget of ``blog.markdown_budget``: past
``BLOG_MARKDOWN_MAX_STEPS`` steps, too deep a nesting or too much HTML the text is
refused with ``RenderRefused`` (docs/security.md, "Bounded rendering").
"""

from __future__ import annotations

import functools

import nh3
from django.conf import settings
from django.db import models
from django.utils.text import Truncator, slugify

from .markdown_budget import RenderRefused, budget
from .markdown_format import MARKDOWN

__all__ = ["RenderRefused", "excerpt_from_html", "markdown_steps", "render_markdown", "unique_slug"]

# What a post may contain once rendered. No <h1> (the page title is the only one),
# no script, style, iframe, form or event attribute; links only to http(s) and mail.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXCERPT_WORDS = 60


def render_markdown(text: str, *, max_steps: int | None = None) -> str:
    """Markdown rendered to HTML, then sanitized: raw HTML in the Markdown is allowed
    through only as far as the allow-lists above.

    Raises ``RenderRefused`` when the text needs more than ``max_steps`` parser steps
    (default ``BLOG_MARKDOWN_MAX_STEPS``), nests too deeply or would make too much HTML.
    """
    steps = settings.BLOG_MARKDOWN_MAX_STEPS if max_steps is None else max_steps
    return _render(text, steps)


def markdown_steps(text: str) -> int:
    """The steps rendering ``text`` takes (for the tests and bench/render.py)."""
    with budget(2**62) as spent:
        MARKDOWN.render(text)
        return spent()


# The page's form validates the post (rendering it) and the service validates it again:
# the second render of the same text is this cache's hit.
@functools.lru_cache(maxsize=4)
def _render(text: str, steps: int) -> str:
    with budget(steps):
        html = MARKDOWN.render(text)
    return sanitize(html).rstrip("\n")


def sanitize(html: str) -> str:
    """HTML kept only as far as the allow-lists above (nh3), links marked nofollow."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )


def excerpt_from_html(html: str, words: int = EXCERPT_WORDS) -> str:
    """The first words of already-sanitized HTML, with its tags closed."""
    return Truncator(html).words(words, html=True, truncate="…")


def unique_slug(
    model: type[models.Model], title: str, *, fallback: str, reserved: frozenset[str] = frozenset()
) -> str:
    """A slug made from the title (unicode letters kept) that no row of ``model`` has yet
    and that is not ``reserved`` (a word its URLs use, like "new" in /post/new/)."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(title, allow_unicode=True)[: max_length - 8].strip("-") or fallback
    slug, n = base, 1
    while slug in reserved or model._default_manager.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
