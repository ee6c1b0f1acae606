"""What every benchmark needs: the servers, Django in this process, an SMTP sink, the
site's processes, the machine's description, and the results file and chart.

Servers come from the environment (defaults: the local ones CI starts):

- ``BENCH_DATABASE_URL``: ``mysql://root@127.0.0.1:3306/lightblog_bench`` (created if missing,
  migrated, and emptied of benchmark data by each benchmark)
- ``BENCH_AMQP_URL``: ``amqp://guest:guest@127.0.0.1:5672//``
- ``BENCH_REDIS_URL``: ``redis://127.0.0.1:6379/0``
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.smtp import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
RESULTS_MD = BENCH_DIR / "results.md"
RESULTS_JSON = BENCH_DIR / "results.json"
RESULTS_PNG = BENCH_DIR / "results.png"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/lightblog_bench")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
VAR_DIR = Path(os.environ.get("BENCH_VAR_DIR", str(BASE_DIR / "var" / "bench")))
LOG_DIR = VAR_DIR / "logs"

_django_ready = False


# DJANGO IN THIS PROCESS
# ------------------------------------------------------------------------------
def create_database(url: str) -> None:
    """``CREATE DATABASE IF NOT EXISTS`` for a MySQL/MariaDB URL."""
    import MySQLdb

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    try:
        connection.cursor().execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        connection.close()


def setup_django() -> None:
    """Configure Django here on the benchmark database and migrate it (once)."""
    global _django_ready
    if _django_ready:
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["CELERY_BROKER_URL"] = AMQP_URL
    os.environ["LIGHTBLOG_VAR_DIR"] = str(VAR_DIR)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    create_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _django_ready = True


def celery_client(broker_url: str):
    """A Celery app publishing to ``broker_url`` with the project's settings."""
    from celery import Celery

    from config.settings.base import broker_transport_options

    # Celery reads CELERY_BROKER_URL from the environment before any setting, so
    # that is where a client for another broker is told which one.
    os.environ["CELERY_BROKER_URL"] = broker_url
    app = Celery("bench-client", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = broker_transport_options(broker_url)
    return app


# SMTP SINK
# ------------------------------------------------------------------------------
class CountingHandler:
    """An aiosmtpd handler that records each message's recipients and arrival time only,
    so 100,000 messages cost a few megabytes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic, recipient, subject)

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        subject = ""
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"subject:"):
                subject = line[8:].strip().decode("utf-8", "replace")
                break
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.arrivals.append((now, recipient.lower(), subject))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def clear(self) -> None:
        with self.lock:
            self.arrivals.clear()

    def snapshot(self) -> list[tuple[float, str, str]]:
        with self.lock:
            return list(self.arrivals)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= count:
                return True
            time.sleep(0.05)
        return self.count() >= count


@dataclass
class Sink:
    handler: CountingHandler
    port: int
    controller: object

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextlib.contextmanager
def smtp_sink() -> Iterator[Sink]:
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Sink(handler=handler, port=port, controller=controller)
    finally:
        controller.stop()


# PROCESSES
# ------------------------------------------------------------------------------
def process_env(*, broker_url: str, sink: Sink | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=broker_url,
        LIGHTBLOG_VAR_DIR=str(VAR_DIR),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    if sink is not None:
        env["EMAIL_URL"] = sink.url
    env.update(extra)
    return env


@contextlib.contextmanager
def worker(*, broker_url: str, sink: Sink | None = None, **extra: str):
    """``celery -A config worker --pool prefork --concurrency 2``, ready to consume."""
    from tests.support import processes

    process = processes.celery_worker(
        env=process_env(broker_url=broker_url, sink=sink, **extra), log_dir=LOG_DIR
    )
    with processes.running(process):
        process.wait_for_log(processes.WORKER_READY, timeout=120)
        yield process


@contextlib.contextmanager
def web(*, broker_url: str, sink: Sink | None = None, workers: int = 2, **extra: str):
    """gunicorn with ``workers`` sync workers on a free port; yields its base URL."""
    from tests.support import processes

    port = free_port()
    process = processes.gunicorn(
        env=process_env(broker_url=broker_url, sink=sink, **extra),
        log_dir=LOG_DIR,
        port=port,
        workers=workers,
    )
    with processes.running(process):
        base_url = f"http://127.0.0.1:{port}"
        processes.wait_for_http(base_url, timeout=120, process=process)
        yield base_url, process


def purge(broker_url: str) -> None:
    app = celery_client(broker_url)
    with contextlib.suppress(Exception):
        app.control.purge()


# FIGURES
# ------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), interpolated linearly between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# THE MACHINE
# ------------------------------------------------------------------------------
def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "-"


def machine() -> dict[str, str]:
    """The machine and every server and library version a figure depends on."""
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        mariadb = cursor.fetchone()[0]
    rabbitmq = "-"
    with contextlib.suppress(Exception):
        conn = celery_client(AMQP_URL).connection_for_write()
        conn.connect()
        rabbitmq = conn.connection.server_properties.get("version", "-")
        if isinstance(rabbitmq, bytes):
            rabbitmq = rabbitmq.decode()
        conn.release()
    redis_version = "-"
    with contextlib.suppress(Exception):
        import redis

        redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    commit = "-"
    with contextlib.suppress(Exception):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return {
        "cpu": f"{psutil.cpu_count(logical=True)} x {_cpu_model()}",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": _version("django"),
        "celery / kombu": f"{_version('celery')} / {_version('kombu')}",
        "gunicorn": _version("gunicorn"),
        "mariadb": mariadb,
        "rabbitmq": str(rabbitmq),
        "redis": redis_version,
        "aiosmtpd": _version("aiosmtpd"),
        "commit": commit,
        # Other work on the machine shows here: figures taken under load are lower.
        "load average at start (1/5/15 min)": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


# RESULTS
# ------------------------------------------------------------------------------
@dataclass
class Target:
    """A target of the issue: ``measured`` must be at least (or at most) ``goal``."""

    text: str
    measured: float
    goal: float
    higher_is_better: bool = True

    @property
    def met(self) -> bool:
        if self.higher_is_better:
            return self.measured >= self.goal
        return self.measured <= self.goal

    def verdict(self) -> str:
        if self.met:
            return "met"
        if self.goal == 0:
            return f"**missed** ({self.measured:.3g} > 0)"
        if self.higher_is_better:
            short = (self.goal - self.measured) / self.goal * 100
            return f"**missed** by {short:.0f}% ({self.measured:.3g} < {self.goal:.3g})"
        over = (self.measured - self.goal) / self.goal * 100
        return f"**missed** by {over:.0f}% ({self.measured:.3g} > {self.goal:.3g})"


@dataclass
class Result:
    """One benchmark's outcome: a table, its targets, figures for the chart, and notes."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    figures: dict = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "---|" * len(self.headers))
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.targets:
            lines += ["", "| target | measured | verdict |", "|---|---|---|"]
            for target in self.targets:
                lines.append(f"| {target.text} | {target.measured:.3g} | {target.verdict()} |")
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def summary_markdown(results: Sequence[Result]) -> str:
    """Every target of an invocation in one table: benchmark, target, figure, verdict."""
    lines = [
        "| benchmark | target | measured | goal | verdict |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for target in result.targets:
            goal = f"{'≥' if target.higher_is_better else '≤'} {target.goal:.3g}"
            verdict = "met" if target.met else "**missed**"
            lines.append(
                f"| {result.title.split(':')[0]} | {target.text} | {target.measured:.3g} "
                f"| {goal} | {verdict} |"
            )
    if len(lines) == 2:
        lines.append("| | no targets | | | |")
    return "\n".join(lines) + "\n"


def record_summary(results: Sequence[Result]) -> None:
    """Print the summary table of an invocation and append it to results.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    met = sum(target.met for result in results for target in result.targets)
    total = sum(len(result.targets) for result in results)
    text = (
        f"\n## Summary of the invocation ending {stamp}: {met} of {total} targets met\n\n"
        + summary_markdown(results)
    )
    print(text)
    with RESULTS_MD.open("a") as out:
        out.write(text)


def machine_markdown(description: dict[str, str]) -> str:
    lines = ["| machine | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in description.items()]
    return "\n".join(lines) + "\n"


def record(results: list[Result], description: dict[str, str]) -> None:
    """Print each table, append the run to results.md, keep the figures, redraw the chart."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    for result in results:
        # Other work on the machine while it ran lowers the absolute figures.
        result.notes.append(f"Load average when it finished (1/5/15 min): {load} on this machine.")
    text = [f"\n## Run of {stamp}\n", machine_markdown(description)]
    for result in results:
        text.append("\n" + result.markdown())
        print("\n" + result.markdown())
    if not RESULTS_MD.exists():
        RESULTS_MD.write_text(
            "# Lightblog benchmarks\n\n"
            "Written by `make bench` (bench/run.py); every run is appended below with the\n"
            "machine it ran on. Each benchmark is compared with a baseline measured in the\n"
            "same run on the same servers. The chart of the latest figures is results.png.\n"
        )
    with RESULTS_MD.open("a") as out:
        out.write("".join(text))
    figures = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    for result in results:
        figures[result.key] = {"when": stamp, "machine": description, **result.figures}
    RESULTS_JSON.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    from bench.chart import draw

    draw(figures, RESULTS_PNG)
    print(
        f"appended to {RESULTS_MD.relative_to(BASE_DIR)}; chart {RESULTS_PNG.relative_to(BASE_DIR)}"
    )
