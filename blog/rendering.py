"""Markdown to safe HTML, and slugs: pure functions the models call when saving."""

from __future__ import annotations

import markdown
import nh3
from django.db import models
from django.utils.text import Truncator, slugify

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

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "toc"]
MARKDOWN_CONFIG = {
    # "# Heading" in a post becomes <h2>: the page's <h1> is the post's title.
    "toc": {"baselevel": 2},
    "tables": {"use_align_attribute": True},
}


def render_markdown(text: str) -> str:
    """Markdown rendered to HTML, then sanitized: raw HTML in the Markdown is allowed
    through only as far as the allow-lists above."""
    html = markdown.markdown(
        text, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
    )
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
