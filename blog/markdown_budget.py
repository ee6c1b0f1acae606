"""The rendering budget: what a post's Markdown may cost to render, counted while
markdown-it-py parses it (docs/security.md, "Bounded rendering").

Steps are paid by rules placed first in markdown-it's chains (so every position the
inline parser tries, and every block line, pays before the real rules run), by link
normalisation, and by raw HTML tags; nesting and the size of the HTML are bounded too.
Past any bound, ``RenderRefused`` with a message for the text's author. The system
check blog.E020 (ids blog.E020 to blog.E029 are the budget's) is here, with what it
checks, and registers when the models import the renderer.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

# Block nesting (quotes, lists, list items) deeper than this is refused: markdown-it
# would silently drop what is deeper, and nothing a post needs is nested so deep.
MAX_NESTING = 20
# The rendered HTML (before sanitizing) is refused past this many characters: one
# reference link with a long URL, used thousands of times, would otherwise make a
# gigabyte of HTML from 100,000 characters of text.
MAX_HTML_CHARS = 2_000_000
# Raw HTML elements open at once (see bound_raw_html).
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


# The steps left to the render running in this thread (set by ``budget()``).
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


def inline_step(state: StateInline, silent: bool) -> bool:
    """First inline rule: pays one step for every position the inline rules try
    (including the look-ahead of link labels), then lets the real rules run."""
    # An image costs its "!" and then the link its "[" starts.
    _spend(IMAGE_STEP if state.src[state.pos] == "!" else 1)
    return False


def inline_tokens_step(state: StateCore) -> None:
    """Before the inline parse: each paragraph, heading or table cell it will parse
    costs a step of setting up, whatever its length."""
    _spend(sum(token.type == "inline" for token in state.tokens))


def block_step(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
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


def normalize_link(url: str) -> str:
    _spend(LINK_STEP)
    return normalizeLink(url)


def normalize_link_text(url: str) -> str:
    _spend(LINK_STEP)
    return normalizeLinkText(url)


@contextlib.contextmanager
def budget(steps: int) -> Iterator[Callable[[], int]]:
    """Render within ``steps`` steps in this block; yields a function telling how many
    were spent so far."""
    reset = _steps_left.set(steps)
    try:
        yield lambda: steps - _steps_left.get()
    finally:
        _steps_left.reset(reset)


def bound_raw_html(state: StateCore) -> None:
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


def bound_output(state: StateCore) -> None:
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


# Fewer steps than this refuse ordinary posts: 1,000 words with a link and some
# emphasis in every sentence take about 1,200.
MIN_MARKDOWN_STEPS = 2_000


@register()
def budget_setting_check(app_configs, **kwargs) -> list[CheckMessage]:
    """A budget too small to render ordinary posts would refuse them all."""
    steps = settings.BLOG_MARKDOWN_MAX_STEPS
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < MIN_MARKDOWN_STEPS:
        return [
            Error(
                f"BLOG_MARKDOWN_MAX_STEPS is {steps!r}: below {MIN_MARKDOWN_STEPS:,} "
                "ordinary posts are refused as too much Markdown.",
                hint='Leave it unset (20,000) or raise it (docs/security.md, "Bounded rendering").',
                id="blog.E020",
            )
        ]
    return []
