"""The worst Markdown inputs found for issue #19 ("Bounded work"), shared by the
rendering tests (tests/blog/test_rendering*.py) and the benchmark (bench/render.py).

Each maker returns a text of about ``size`` characters that makes some Markdown
renderer do much more than linear work: Python-Markdown (before #19) was quadratic on
most of them; the rest load markdown-it-py or the sanitizer (html5ever) per element.
"""

from __future__ import annotations

from collections.abc import Callable


def _repeat(unit: str) -> Callable[[int], str]:
    def make(size: int) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return make


def _nested_list(size: int) -> str:
    lines, depth = [], 0
    while sum(map(len, lines)) < size:
        lines.append("  " * (depth % 40) + "- a\n")
        depth += 1
    return "".join(lines)[:size]


def _reference_amplifier(size: int) -> str:
    """One reference definition with a long URL, used as often as the size allows."""
    url = "https://example.com/" + "x" * (size // 2)
    head = f"[a]: {url}\n\n"
    return head + "[a] " * ((size - len(head)) // 4)


def _backtick_runs(size: int) -> str:
    text, n = [], 1
    while sum(map(len, text)) < size:
        text.append("`" * n + "a ")
        n = n % 300 + 1
    return "".join(text)[:size]


WORST_INPUTS: dict[str, Callable[[int], str]] = {
    "brackets [": _repeat("["),
    "images ![": _repeat("!["),
    "emphasis and brackets *[": _repeat("*["),
    "linked images [![": _repeat("[!["),
    "nested brackets [[]]": lambda size: "[" * (size // 2) + "]" * (size // 2),
    "empty links [](": _repeat("[]("),
    "open links [a](": _repeat("[a]("),
    "headings with toc # h": _repeat("# h\n"),
    "setext headings": _repeat("a\n=\n"),
    "strong **a": _repeat("**a"),
    "mixed emphasis": _repeat("*a **b _c __d "),
    "code spans ` x": _repeat("` x"),
    "backtick runs": _backtick_runs,
    "inline html <a": _repeat("<a "),
    "unclosed <div>": _repeat("<div>"),
    "unclosed <span>": _repeat("<span>"),
    "html blocks <div> lines": _repeat("<div>\n"),
    "unclosed <b>": _repeat("<b>"),
    "entities &": _repeat("&"),
    "entities &amp;": _repeat("&amp;"),
    "escapes \\": _repeat("\\"),
    "autolinks <http://": _repeat("<http://a "),
    "email autolinks": _repeat("<a@b.co>"),
    "table rows": lambda size: "|a|b|\n|-|-|\n" + _repeat("|x|y|\n")(size - 12),
    "table wide": lambda size: "|" + "a|" * (size // 4 - 2) + "\n|" + "-|" * (size // 4 - 2) + "\n",
    "nested lists": _nested_list,
    "nested quotes >": lambda size: ">" * (size - 2) + " a",
    "reference definitions": lambda size: "".join(
        f"[r{i}]: https://x.org/{i}\n" for i in range(size // 20)
    )[:size],
    "reference amplifier": _reference_amplifier,
    "fences ```": _repeat("```\n"),
    "thematic breaks": _repeat("* * *\n"),
    "long line": _repeat("word "),
    "CJK": _repeat("漢字かな"),
}
