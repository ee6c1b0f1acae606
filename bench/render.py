"""Benchmark 7: rendering the worst Markdown inputs (issue #19, "Bounded work").

Each input of ``tests/support/markdown_inputs.py``, rendered in this process:

- **before**: the renderer of main before #19 (Python-Markdown with ``fenced_code``,
  ``tables``, ``sane_lists`` and ``toc``, then nh3), at 6,000 characters (the issue's
  size) and at 100,000 (the text limit), each in a child process stopped after
  ``BENCH_RENDER_CAP`` seconds (default 10);
- **after**: ``blog.rendering.render_markdown`` at 100,000 characters (rendered or
  refused, and how long it took to say so), and the longest prefix of the input it
  still renders (found by bisection): that render is the most a post of that kind can
  cost a save, a preview or an API call.

Target: the slowest render of an accepted input within 200 ms (the issue's "about
200 ms"); the slowest refusal is reported beside it. The median of 3 runs each, in
CPU time of the rendering process (``time.process_time``): on a machine shared with
other work, wall-clock figures measure the neighbours as much as the renderer.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from collections.abc import Callable

from bench import harness

SIZES = (6_000, 100_000)
CAP = float(os.environ.get("BENCH_RENDER_CAP", "10"))
RUNS = 3
BISECTIONS = 12
TARGET_SECONDS = 0.2


def render_before(text: str) -> str:
    """main's ``blog.rendering.render_markdown`` before issue #19: Python-Markdown with
    the same extensions, then the same sanitizer."""
    import markdown

    from blog.rendering import sanitize

    html = markdown.markdown(
        text,
        extensions=["fenced_code", "tables", "sane_lists", "toc"],
        extension_configs={"toc": {"baselevel": 2}, "tables": {"use_align_attribute": True}},
    )
    return sanitize(html)


def _timed_child(text: str, queue) -> None:  # pragma: no cover - runs in the child
    started = time.process_time()
    render_before(text)
    queue.put(time.process_time() - started)


def time_before(text: str) -> float | None:
    """CPU seconds Python-Markdown took, or None when it ran past CAP (wall clock)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_timed_child, args=(text, queue))
    child.start()
    child.join(CAP)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get(timeout=5)


def attempt(text: str) -> tuple[str, float]:
    """(``rendered`` or the refusal's code, median CPU seconds) with today's renderer."""
    from blog import rendering

    times, result = [], "rendered"
    for _ in range(RUNS):
        rendering._render.cache_clear()  # a save renders afresh
        started = time.process_time()
        try:
            rendering.render_markdown(text)
            result = "rendered"
        except rendering.RenderRefused as refused:
            result = refused.code
        times.append(time.process_time() - started)
    return result, statistics.median(times)


def longest_accepted(text: str) -> str:
    """The longest prefix of ``text`` that is rendered, not refused (bisection)."""
    from blog import rendering

    def accepted(prefix: str) -> bool:
        rendering._render.cache_clear()
        try:
            rendering.render_markdown(prefix)
        except rendering.RenderRefused:
            return False
        return True

    if accepted(text):
        return text
    low, high = 0, len(text)
    for _ in range(BISECTIONS):
        middle = (low + high) // 2
        low, high = (middle, high) if accepted(text[:middle]) else (low, middle)
    return text[:low]


def ordinary_post(size: int) -> str:
    section = (
        "## A section\n\nSome prose with *emphasis*, **strong words**, `code` and a "
        "[link](https://example.com/page) or two, as a long article has.\n\n"
        "- a point\n- another point\n\n> A quotation.\n\n```\ncode block\n```\n\n"
        "| key | value |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n"
        + "An ordinary paragraph of plain words, the bulk of any post. " * 8
        + "\n\n"
    )
    return (section * (size // len(section) + 1))[:size]


def _ms(seconds: float | None) -> str:
    return f"> {CAP * 1000:,.0f}" if seconds is None else f"{seconds * 1000:,.0f}"


def run() -> list[harness.Result]:
    from blog.rendering import markdown_steps
    from tests.support.markdown_inputs import WORST_INPUTS

    inputs: dict[str, Callable[[int], str]] = {"ordinary long post": ordinary_post}
    inputs.update(WORST_INPUTS)
    rows, figures = [], {}
    for name, make in inputs.items():
        small, large = make(SIZES[0]), make(SIZES[1])
        before_small, before_large = time_before(small), time_before(large)
        result, seconds = attempt(large)
        prefix = longest_accepted(large)
        _, prefix_seconds = attempt(prefix) if prefix else ("rendered", 0.0)
        steps = markdown_steps(prefix) if prefix else 0
        figures[name] = {
            "before_6000_s": before_small,
            "before_100000_s": before_large,
            "after_100000": result,
            "after_100000_s": seconds,
            "longest_accepted_chars": len(prefix),
            "longest_accepted_s": prefix_seconds,
            "longest_accepted_steps": steps,
        }
        rows.append(
            [
                name,
                _ms(before_small),
                _ms(before_large),
                f"{result}, {_ms(seconds)}",
                f"{len(prefix):,}",
                f"{steps:,}",
                _ms(prefix_seconds),
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    worst_accepted = max(f["longest_accepted_s"] for f in figures.values())
    worst_refusal = max(
        f["after_100000_s"] for f in figures.values() if f["after_100000"] != "rendered"
    )
    figures["worst_accepted_s"] = worst_accepted
    figures["worst_refusal_s"] = worst_refusal
    return [
        harness.Result(
            key="render",
            title="7. Rendering the worst Markdown inputs, CPU ms (before: Python-Markdown; "
            "after: markdown-it-py with the step budget)",
            headers=[
                "input",
                "before, 6,000 chars",
                "before, 100,000 chars",
                "after, 100,000 chars",
                "longest accepted (chars)",
                "its steps",
                "its render",
            ],
            rows=rows,
            figures=figures,
            targets=[
                harness.Target(
                    "slowest render of an accepted input, CPU s",
                    worst_accepted,
                    TARGET_SECONDS,
                    higher_is_better=False,
                ),
            ],
            notes=[
                f"Slowest refusal of a 100,000-character input: {worst_refusal * 1000:.0f} CPU ms.",
                f"Before: each render in a child process stopped after {CAP:.0f} s of wall clock "
                '("> …"). After: the median of 3 runs in this process, the renderer\'s '
                "cache cleared; all figures CPU time; the budget is BLOG_MARKDOWN_MAX_STEPS.",
                f"Renderers: markdown-it-py {harness._version('markdown-it-py')}, "
                f"Python-Markdown {harness._version('Markdown')}, nh3 {harness._version('nh3')}.",
            ],
        )
    ]
