"""Markdown to safe HTML, and slugs: pure functions the models call when saving.

The renderer is markdown-it-py (CommonMark, linear in its input) with the extensions
posts were written for (tables, fenced code, ``[TOC]``), and a budget: parsing counts
its steps and stops, refusing the text, past ``BLOG_MARKDOWN_MAX_STEPS``; nesting and
the size of the HTML are bounded too (docs/security.md, "Bounded rendering").
"""

from __future__ import annotations

import contextvars
import functools
import re
import unicodedata

import nh3
from django.conf import settings
from django.db import models
from django.utils.text import Truncator, slugify
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

# What a post may contain once rendered. No <h1> (the page title is the only one),
# no script, style, iframe, form or event attribute; links only to http(s) and mail.
# One entry a line, so that additions from parallel work merge without conflicts.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
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

# Block nesting (quotes, lists, list items) deeper than this is refused: markdown-it
# would silently drop what is deeper, and nothing a post needs is nested so deep.
MAX_NESTING = 20
# The rendered HTML (before sanitizing) is refused past this many characters: one
# reference link with a long URL, used thousands of times, would otherwise make a
# gigabyte of HTML from 100,000 characters of text.
MAX_HTML_CHARS = 2_000_000
TOC_MARKER = "[TOC]"
# Raw HTML elements open at once (see _bound_raw_html).
MAX_HTML_DEPTH = 50
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
# Elements an element of the same name closes (<li>a<li>b is two items, not nested).
_SELF_CLOSING = frozenset({"dd", "dt", "li", "option", "p", "td", "th", "tr"})
# A block line (a new block, or a line a paragraph, list or table row continues with)
# costs this many steps: trying every block rule costs about that many inline steps.
BLOCK_STEP = 2
# A table cell makes three tokens, and a link's URL is parsed, percent-encoded and
# punycoded (12,500 ``<a@b.co>`` took 1.2 s): their cost in steps.
CELL_STEP = 3
LINK_STEP = 8
IMAGE_STEP = 2


class RenderRefused(ValueError):
    """The text would cost more than the rendering budget; the message is for its author."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


# The steps left to the render running in this thread (set by ``_render``).
_steps_left: contextvars.ContextVar[int] = contextvars.ContextVar("markdown_steps_left")


def _spend(steps: int = 1) -> None:
    left = _steps_left.get() - steps
    _steps_left.set(left)
    if left < 0:
        raise RenderRefused(
            f"This text has too much Markdown to render (more than "
            f"{settings.BLOG_MARKDOWN_MAX_STEPS:,} steps: brackets, emphasis, links, "
            f"lines, table cells, HTML tags): split it into several posts or use less "
            f"markup.",
            code="markdown_budget",
        )


def _inline_step(state: StateInline, silent: bool) -> bool:
    """First inline rule: pays one step for every position the inline rules try
    (including the look-ahead of link labels), then lets the real rules run."""
    # An image costs its "!" and then the link its "[" starts.
    _spend(IMAGE_STEP if state.src[state.pos] == "!" else 1)
    return False


def _inline_tokens_step(state: StateCore) -> None:
    """Before the inline parse: each paragraph, heading or table cell it will parse
    costs a step of setting up, whatever its length."""
    _spend(sum(token.type == "inline" for token in state.tokens))


def _block_step(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """First block rule: pays one step a block start or continuation line, and
    refuses nesting that markdown-it would truncate."""
    if state.level >= MAX_NESTING:
        raise RenderRefused(
            f"This text nests quotes or lists too deeply (more than {MAX_NESTING} "
            f"levels): flatten it.",
            code="markdown_nesting",
        )
    # A table row's cells are parsed by the row's rule without asking the others.
    line = state.src[state.bMarks[start_line] : state.eMarks[start_line]]
    _spend(BLOCK_STEP + CELL_STEP * line.count("|"))
    return False


def _normalize_link(url: str) -> str:
    _spend(LINK_STEP)
    return normalizeLink(url)


def _normalize_link_text(url: str) -> str:
    _spend(LINK_STEP)
    return normalizeLinkText(url)


def _shift_headings(state: StateCore) -> None:
    """ "# Heading" becomes <h2>: the page's <h1> is the post's title."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def _align_cells(state: StateCore) -> None:
    """Table alignment as the ``align`` attribute the sanitizer allows (not a style)."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and "style" in token.attrs:
            token.attrs = {"align": str(token.attrs["style"]).removeprefix("text-align:")}


def heading_slug(text: str) -> str:
    """The anchor Python-Markdown's ``toc`` extension gave a heading (ASCII, hyphens)."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def _table_of_contents(state: StateCore) -> None:
    """A paragraph that is only ``[TOC]`` becomes the nested list of the headings,
    linking to their anchors as Python-Markdown's ``toc`` did. Repeated titles get
    ``_1``, ``_2``… counted once each (its linear search made 48,000 characters of
    "# h" lines take 5 s)."""
    tokens = state.tokens
    markers = [
        i
        for i in range(1, len(tokens) - 1)
        if tokens[i].type == "inline"
        and tokens[i].content.strip() == TOC_MARKER
        and tokens[i - 1].type == "paragraph_open"
    ]
    if not markers:
        return
    seen: dict[str, int] = {}
    items = []
    for i, token in enumerate(tokens[:-1]):
        if token.type != "heading_open":
            continue
        title = "".join(
            child.content
            for child in tokens[i + 1].children or ()
            if child.type in ("text", "code_inline")
        )
        slug = heading_slug(title) or "_"
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        items.append((int(token.tag[1]), f"{slug}_{n}" if n else slug, title))
    html = []
    depth = []
    for level, slug, title in items:
        while depth and depth[-1] > level:
            html.append("</li>\n</ul>\n")
            depth.pop()
        if depth and depth[-1] == level:
            html.append("</li>\n")
        else:
            html.append("<ul>\n")
            depth.append(level)
        html.append(f'<li><a href="#{escapeHtml(slug)}">{escapeHtml(title)}</a>')
    html.append("</li>\n</ul>\n" * len(depth))
    toc = Token("html_block", "", 0, content="".join(html))
    for i in reversed(markers):
        tokens[i - 1 : i + 2] = [toc]


def _bound_raw_html(state: StateCore) -> None:
    """Raw HTML pays a step a tag, and its nesting is bounded: the sanitizer's parser
    (html5ever) walks its stack of open elements at every tag, so 20,000 unclosed
    ``<div>`` took it 2 s. The stack here follows HTML's rules just enough to err on
    the deep side (an end tag closes up to the nearest open element of its name)."""
    stack: list[str] = []
    for token in state.tokens:
        for child in [token, *(token.children or ())]:
            if child.type not in ("html_block", "html_inline"):
                continue
            for match in _TAG.finditer(child.content):
                _spend()
                name = match.group(2).lower()
                if name in _VOID_TAGS:
                    continue
                if match.group(1) or name in _SELF_CLOSING:
                    if name in stack:
                        del stack[len(stack) - 1 - stack[::-1].index(name) :]
                    if match.group(1):
                        continue
                stack.append(name)
                if len(stack) > MAX_HTML_DEPTH:
                    raise RenderRefused(
                        f"This text nests HTML elements too deeply (more than "
                        f"{MAX_HTML_DEPTH} open at once): close them.",
                        code="markdown_html_nesting",
                    )


def _bound_output(state: StateCore) -> None:
    """Refuse before rendering when the HTML would pass MAX_HTML_CHARS: a reference
    link's URL is stored once and written out at every use."""
    total = 0
    for token in state.tokens:
        for child in [token, *(token.children or ())]:
            total += len(child.content) + 16
            for value in child.attrs.values():
                total += len(str(value)) + 8
        if total > MAX_HTML_CHARS:
            raise RenderRefused(
                f"This text would render to more than {MAX_HTML_CHARS:,} characters of "
                f"HTML (a long link used many times?): shorten it.",
                code="markdown_output",
            )


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING + 1})
    md.enable("table")
    # Every link is a link, as Python-Markdown made it; the sanitizer drops an href
    # whose scheme it does not allow (``[x](javascript:…)`` stays a link without one).
    md.validateLink = lambda url: True
    md.normalizeLink = _normalize_link
    md.normalizeLinkText = _normalize_link_text
    md.block.ruler.before(
        "table",
        "budget",
        _block_step,
        {"alt": ["paragraph", "reference", "blockquote", "list", "table"]},
    )
    md.inline.ruler.before("text", "budget", _inline_step)
    md.core.ruler.before("inline", "budget_inline_tokens", _inline_tokens_step)
    md.core.ruler.push("shift_headings", _shift_headings)
    md.core.ruler.push("align_cells", _align_cells)
    md.core.ruler.push("table_of_contents", _table_of_contents)
    md.core.ruler.push("bound_raw_html", _bound_raw_html)
    md.core.ruler.push("bound_output", _bound_output)
    return md


# Built once: parsing keeps its state per call, the budget in a context variable.
MARKDOWN = _markdown()


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
    reset = _steps_left.set(2**62)
    try:
        MARKDOWN.render(text)
        return 2**62 - _steps_left.get()
    finally:
        _steps_left.reset(reset)


# The page's form validates the post (rendering it) and the service validates it again:
# the second render of the same text is this cache's hit.
@functools.lru_cache(maxsize=4)
def _render(text: str, steps: int) -> str:
    reset = _steps_left.set(steps)
    try:
        html = MARKDOWN.render(text)
    finally:
        _steps_left.reset(reset)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    ).rstrip("\n")


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
