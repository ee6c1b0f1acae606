"""The Markdown posts are written in: markdown-it-py's CommonMark with tables, and what
Python-Markdown (the renderer before issue #19) gave them: "# Heading" as <h2>, table
alignment as ``align``, ``[TOC]``, every link a link. Built once, with the budget's
rules of ``blog.markdown_budget`` in front of markdown-it's own.
"""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from . import markdown_budget

TOC_MARKER = "[TOC]"


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


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": markdown_budget.MAX_NESTING + 1})
    md.enable("table")
    # Every link is a link, as Python-Markdown made it; the sanitizer drops an href
    # whose scheme it does not allow (``[x](javascript:…)`` stays a link without one).
    md.validateLink = lambda url: True
    md.normalizeLink = markdown_budget.normalize_link
    md.normalizeLinkText = markdown_budget.normalize_link_text
    md.block.ruler.before(
        "table",
        "budget",
        markdown_budget.block_step,
        {"alt": ["paragraph", "reference", "blockquote", "list", "table"]},
    )
    md.inline.ruler.before("text", "budget", markdown_budget.inline_step)
    md.core.ruler.before("inline", "budget_inline_tokens", markdown_budget.inline_tokens_step)
    md.core.ruler.push("shift_headings", _shift_headings)
    md.core.ruler.push("align_cells", _align_cells)
    md.core.ruler.push("table_of_contents", _table_of_contents)
    md.core.ruler.push("bound_raw_html", markdown_budget.bound_raw_html)
    md.core.ruler.push("bound_output", markdown_budget.bound_output)
    return md


# Built once: parsing keeps its state per call, the budget in a context variable.
MARKDOWN = _markdown()
