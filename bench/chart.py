"""The chart of the latest figures of every benchmark: bench/results.png."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write a PNG
import matplotlib.pyplot as plt

PANELS = ("throughput", "latency", "enqueue", "pages", "digest")


def _bars(ax, labels, values, *, colors=None, fmt="{:.0f}") -> None:
    bars = ax.bar(labels, values, color=colors)
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(
            fmt.format(value),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )


def _throughput(ax, data: dict) -> None:
    labels, values, colors = [], [], []
    for broker in ("amqp", "redis"):
        figures = data.get(broker)
        if not figures:
            continue
        labels += [f"no-op\n{broker}", f"emails\n{broker}"]
        values += [figures["noop_per_s"], figures.get("emails_per_s", 0)]
        colors += ["#bbbbbb", "#3b7dd8"]
    _bars(ax, labels, values, colors=colors)
    for index, broker in enumerate(b for b in ("amqp", "redis") if data.get(b)):
        goal = 0.3 * data[broker]["noop_per_s"]
        ax.hlines(goal, 2 * index + 0.6, 2 * index + 1.4, colors="red", linestyles="dashed")
    ax.set_title("1. delivery throughput (per s)\nred: target 0.3 x no-op")


def _latency(ax, data: dict) -> None:
    labels = ["p50", "p95", "p99"]
    response = [data["p50"], data["p95"], data["p99"]]
    whole = data.get("from_post")
    x = range(len(labels))
    bars = ax.bar([i - 0.2 for i in x], response, width=0.4, label="from the response")
    if whole:
        post = [whole[str(q)] if str(q) in whole else whole[q] for q in (50, 95, 99)]
        more = ax.bar([i + 0.2 for i in x], post, width=0.4, color="#bbbbbb", label="from the POST")
        bars = [*bars, *more]
    for bar in bars:
        ax.annotate(
            f"{bar.get_height():.2f}",
            (bar.get_x() + bar.get_width() / 2, max(bar.get_height(), 0)),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(list(x), labels)
    ax.axhline(1, color="orange", linestyle="dashed", label="p50 target 1 s")
    ax.axhline(3, color="red", linestyle="dashed", label="p99 target 3 s")
    ax.set_title("2. registration -> email in the sink (s)")
    ax.legend(fontsize=7)


def _enqueue(ax, data: dict) -> None:
    labels = ["publish p50", "publish p99", "request p50", "request p99"]
    values = [
        data["publish_p50_ms"],
        data["publish_p99_ms"],
        data["request_p50_ms"],
        data["request_p99_ms"],
    ]
    _bars(ax, labels, values, colors=["#3b7dd8", "#3b7dd8", "#bbbbbb", "#bbbbbb"], fmt="{:.1f}")
    ax.set_yscale("log")
    ax.set_title("3. publish inside a registration (ms, log)")
    ax.tick_params(axis="x", labelsize=7)


def _pages(ax, data: dict) -> None:
    names = [n for n in ("trivial", "home", "post", "tag", "user") if f"{n}_rps" in data]
    labels = {"trivial": "trivial", "home": "/", "post": "post", "tag": "tag", "user": "user"}
    x = range(len(names))
    series = [("", "page cache 60 s, anonymous", None)]
    if any(f"{n}_rps_signed_in" in data for n in names):
        series.append(("_signed_in", "page cache 60 s, signed in", "#e0a030"))
    if any(f"{n}_rps_uncached" in data for n in names):
        series.append(("_uncached", "cache off", "#bbbbbb"))
    width = 0.8 / len(series)
    bars = []
    for i, (suffix, label, color) in enumerate(series):
        values = [data.get(f"{n}_rps{suffix}", 0) for n in names]
        offsets = [j - 0.4 + width * (i + 0.5) for j in x]
        bars += ax.bar(offsets, values, width=width, color=color, label=label)
    for bar in bars:
        ax.annotate(
            f"{bar.get_height():.0f}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=6,
        )
    ax.set_xticks(list(x), [labels[n] for n in names])
    trivial = data.get("trivial_rps_baseline", data["trivial_rps"])
    ax.axhline(0.5 * trivial, color="red", linestyle="dashed", label="0.5 x trivial")
    ax.set_title("4. pages, requests per s (gunicorn 2 workers)")
    ax.legend(fontsize=7)


def _digest(ax, data: dict) -> None:
    runs = data["runs"]
    labels = [f"{run['users']:,}" for run in runs]
    peaks = [run["peak_mb"] for run in runs]
    _bars(ax, labels, peaks, colors="#3b7dd8", fmt="{:.0f} MB")
    for index, run in enumerate(runs):
        ax.annotate(
            f"{run['emails_per_s']:.0f}/s",
            (index, peaks[index] / 2),
            ha="center",
            color="white",
            fontsize=8,
        )
    ax.axhline(peaks[0] * 1.1, color="red", linestyle="dashed", label="+10% of the smallest")
    ax.set_title("5. digest: worker peak memory (MB)")
    ax.set_xlabel("opted-in users")
    ax.legend(fontsize=7)


DRAW = {
    "throughput": _throughput,
    "latency": _latency,
    "enqueue": _enqueue,
    "pages": _pages,
    "digest": _digest,
}


def draw(figures: dict, path: Path) -> None:
    """One panel per benchmark that has figures, side by side."""
    present = [key for key in PANELS if key in figures]
    if not present:
        return
    fig, axes = plt.subplots(1, len(present), figsize=(4.2 * len(present), 4.2), squeeze=False)
    for ax, key in zip(axes[0], present, strict=True):
        DRAW[key](ax, figures[key])
        ax.tick_params(axis="x", labelsize=8)
    when = max(figures[key]["when"] for key in present)
    machine = figures[present[0]].get("machine", {})
    fig.suptitle(
        f"Lightblog benchmarks, {when}: {machine.get('cpu', '')}, {machine.get('memory', '')}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
