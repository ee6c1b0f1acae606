"""Search text: the query parsed into terms, the index's terms for MariaDB/MySQL, the
plain text of a post, and the highlighted excerpt. Pure functions, no database.

``docs/blog.md``, "Search", says why the terms are made this way.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

# Scripts written without spaces between words: Chinese, Japanese kana, Korean Hangul.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"([{CJK}]+)")
# A term is a run of letters and digits of any script: every operator of FTS5 and of
# FULLTEXT boolean mode (+-*"()~<>@:^) is punctuation, so none survives.
_TERM = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")

MAX_TERMS = 8
EXCERPT_CHARS = 240
# FULLTEXT's innodb_ft_min_token_size (3 by default) and the trigram tokenizer's 3
# characters: shorter terms are not in the index.
MIN_INDEXED_CHARS = 3


@dataclass(frozen=True)
class SearchQuery:
    text: str
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms


def parse_query(text: str) -> SearchQuery:
    """The query's terms: letters and digits, lowercased, each once, at most ``MAX_TERMS``.
    Everything else (operators, quotes, punctuation) only separates terms. The words
    AND, OR, NOT and NEAR are terms like any other: the backends quote every term."""
    terms: list[str] = []
    for term in _TERM.findall(text.lower()):
        if term not in terms:
            terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms[:MAX_TERMS]))


def plain_text(markup: str) -> str:
    """The text a reader sees in sanitized HTML, on one line."""
    text = html.unescape(strip_tags(markup))
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


# MARIADB / MYSQL TERMS
# ------------------------------------------------------------------------------
def _cjk_token(chars: str) -> str:
    # Two CJK characters as one ASCII word: InnoDB indexes it whatever its
    # min_token_size, stopwords and collation, on MariaDB (no ngram parser) and MySQL.
    return "zh" + "".join(f"{ord(c):x}" for c in chars)


def term_tokens(term: str) -> list[str]:
    """The index tokens of one term, in order: a Latin word stays itself; a CJK run
    becomes its overlapping bigrams (what MySQL's ngram parser does with size 2), each
    spelled as an ASCII word. Latin parts shorter than the index's minimum are left out."""
    tokens: list[str] = []
    for i, part in enumerate(_CJK_RUN.split(term)):
        if not part:
            continue
        if i % 2:  # a CJK run
            tokens.extend(_cjk_token(part[j : j + 2]) for j in range(len(part) - 1))
        elif len(part) >= MIN_INDEXED_CHARS:
            tokens.append(part)
    return tokens


def index_terms(*texts: str) -> str:
    """The words of ``texts`` as the FULLTEXT index of MariaDB/MySQL stores them."""
    return " ".join(
        " ".join(term_tokens(term)) for text in texts for term in _TERM.findall(text.lower())
    )


def boolean_query(query: SearchQuery) -> str:
    """A FULLTEXT boolean-mode query requiring every term that has index tokens, each
    as a phrase of its tokens (the bigrams of a CJK run follow one another). Made only
    of our own tokens, so no operator of the user's can reach the server. A term that
    is one Latin word matches as a prefix ("search" finds "searching"), as near as a
    word index comes to the trigram index's substrings."""
    parts = []
    for term in query.terms:
        tokens = term_tokens(term)
        if len(tokens) == 1 and tokens[0] == term:
            parts.append(f"+{term}*")
        elif tokens:
            parts.append('+"' + " ".join(tokens) + '"')
    return " ".join(parts)


# HIGHLIGHTING
# ------------------------------------------------------------------------------
def _pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    if not terms:
        return None
    alternatives = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in alternatives), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern | None) -> str:
    if pattern is None:
        return escape(text)
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[pos : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def highlight(text: str, terms: tuple[str, ...]) -> SafeString:
    """All of ``text`` escaped, then the terms wrapped in ``<mark>``."""
    return mark_safe(_marked(text, _pattern(terms)))


def excerpt(text: str, terms: tuple[str, ...], *, size: int = EXCERPT_CHARS) -> SafeString:
    """About ``size`` characters of ``text`` around the first match (from the start when
    no term is in it), escaped, then the terms wrapped in ``<mark>``."""
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    start = 0 if match is None else max(0, match.start() - size // 3)
    if start:
        space = text.find(" ", start, match.start())
        start = space + 1 if space != -1 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start + size // 2, end)
        end = space if space != -1 else end
    body = _marked(text[start:end], pattern)
    return mark_safe(("…" if start else "") + body + ("…" if end < len(text) else ""))
