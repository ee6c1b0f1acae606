"""Postfix's ``smtp-sink`` as the benchmarks' SMTP sink, and its calibration.

aiosmtpd (``harness.smtp_sink``) accepts about 640 emails a second on one connection, so
on 2 cores it was the bottleneck of benchmark 6. ``smtp-sink`` is a C program that reads
the SMTP dialogue and throws the message away; it is taken out of Debian's ``postfix``
package (``make var/postfix/usr/sbin/smtp-sink``: ``apt-get download postfix`` and
``dpkg -x``, no mail server installed or started).

Counting without making the count the bottleneck:

- ``-c`` makes it print its running counters (``... mesg=N\\r``) after every ``.``; a
  thread here reads that pipe and notes the moment each count arrived (a few bytes per
  email): the live count and each email's arrival time.
- ``-D`` appends every transaction to one dump file (``X-Rcpt-Args: <to>`` per
  recipient, then the message); the file lives in ``/dev/shm`` (memory), and is read
  only when a benchmark asks who got what (lost and duplicates), after the timing.
  The dump's k-th message is the k-th ``.`` counted (one process, one event loop).

``python -m bench.postfix_sink`` measures a bare ``smtplib`` client into it on one
connection without a dump, with ``-D`` and with ``-d`` (one file per message).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.smtp import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("BENCH_POSTFIX_DIR", str(BASE_DIR / "var" / "postfix")))
BINARY = ROOT / "usr" / "sbin" / "smtp-sink"
LIBRARIES = ROOT / "usr" / "lib" / "postfix"
MAKE_TARGET = "make var/postfix/usr/sbin/smtp-sink"
COUNTER = re.compile(rb"mesg=(\d+)")


def command(port: int, dump: str | None, dump_flag: str = "-D") -> list[str]:
    """The ``smtp-sink`` command line: counters on, at most 256 connections."""
    if not BINARY.exists():
        raise FileNotFoundError(f"{BINARY} is missing: run `{MAKE_TARGET}` first")
    args = [str(BINARY), "-c"]
    if os.geteuid() == 0:
        # It refuses to run as root without a user to switch to after the bind.
        args += ["-u", "nobody"]
    if dump is not None:
        args += [dump_flag, dump]
    return [*args, f"127.0.0.1:{port}", "256"]


def environment() -> dict[str, str]:
    # The binary finds Postfix's own libraries in /usr/lib/postfix; here they are in
    # the extracted package.
    return {**os.environ, "LD_LIBRARY_PATH": str(LIBRARIES)}


class DumpCounter:
    """The handler interface of ``harness.CountingHandler`` over ``smtp-sink``'s
    counters and dump: ``count()``, ``clear()``, ``snapshot()``, ``wait_for()``."""

    def __init__(self, process: subprocess.Popen, dump: Path) -> None:
        self.process = process
        self.dump = dump
        self.lock = threading.Lock()
        self.arrived: list[float] = []  # monotonic time of the k-th "." since the start
        self.base = 0  # messages before the last clear()
        # The dump is parsed incrementally: (offset read, messages parsed so far).
        self.offset = 0
        self.parsed: list[tuple[str, str]] = []  # (recipient, subject) per message
        self.reader = threading.Thread(target=self._read_counters, daemon=True)
        self.reader.start()

    def _read_counters(self) -> None:
        stream = self.process.stdout
        buffer = b""
        while True:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return
            now = time.monotonic()
            buffer += chunk
            *records, buffer = buffer.split(b"\r")
            counts = [int(m.group(1)) for r in records if (m := COUNTER.search(r))]
            if counts:
                with self.lock:
                    total = max(counts)
                    self.arrived.extend([now] * (total - len(self.arrived)))

    def count(self) -> int:
        with self.lock:
            return len(self.arrived) - self.base

    def clear(self) -> None:
        with self.lock:
            self.base = len(self.arrived)

    def _parse(self, upto: int) -> None:
        """Read the dump's new messages until ``upto`` are parsed (or the file ends)."""
        if len(self.parsed) >= upto or not self.dump.exists():
            return
        with self.dump.open("rb") as dump:
            dump.seek(self.offset)
            data = dump.read()
        starts = [m.start() for m in re.finditer(rb"^X-Client-Addr: ", data, re.M)]
        ends = [*starts[1:], len(data)]
        # A block is whole when the next one has begun, or when the counters say that
        # many transactions ended (the last one's "." was counted).
        whole = len(starts) if len(self.parsed) + len(starts) <= upto else len(starts) - 1
        for start, end in zip(starts[:whole], ends[:whole], strict=True):
            block = data[start:end]
            recipients = re.findall(rb"^X-Rcpt-Args: <([^>]*)>", block, re.M)
            subject = re.search(rb"^Subject: ?(.*)$", block, re.M)
            text = subject.group(1).strip().decode("utf-8", "replace") if subject else ""
            # One entry per recipient, as aiosmtpd's handler records them.
            for recipient in recipients or [b""]:
                self.parsed.append((recipient.decode().lower(), text))
        if whole:
            self.offset += ends[whole - 1]

    def snapshot(self) -> list[tuple[float, str, str]]:
        """(arrival, recipient, subject) of every email since the last clear()."""
        with self.lock:
            arrived = list(self.arrived)
            base = self.base
        self._parse(len(arrived))
        # A message with several recipients would shift this; the benchmarks send one.
        return [
            (at, to, subject)
            for at, (to, subject) in zip(arrived[base:], self.parsed[base:], strict=False)
        ]

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= count:
                return True
            time.sleep(0.005)
        return self.count() >= count


@dataclass
class Sink:
    handler: DumpCounter
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextlib.contextmanager
def smtp_sink(*, dump: bool = True) -> Iterator[Sink]:
    """``smtp-sink -c -D <dump in /dev/shm>`` on a free port, stopped on exit."""
    memory = "/dev/shm" if os.path.isdir("/dev/shm") else None
    folder = Path(tempfile.mkdtemp(prefix="smtp-sink-", dir=memory))
    folder.chmod(0o777)  # written by "nobody" when the benchmark runs as root
    path = folder / "dump"
    port = free_port()
    process = subprocess.Popen(
        command(port, str(path) if dump else None),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment(),
    )
    try:
        wait_listening(port, process)
        yield Sink(handler=DumpCounter(process, path), port=port, process=process)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        if process.poll() is None:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"smtp-sink exited ({process.returncode}): {output}")
        with contextlib.suppress(OSError):
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return
        time.sleep(0.05)
    raise TimeoutError(f"smtp-sink not listening on {port} after {timeout} s")


# CALIBRATION: python -m bench.postfix_sink
# ------------------------------------------------------------------------------
def sample_message(size: int = 1_200) -> bytes:
    """A plain email of about ``size`` bytes (a welcome reminder is 1,217)."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Lightblog <noreply@localhost>"
    message["To"] = "reader@example.com"
    message["Subject"] = "Welcome!"
    message.set_content("Hello reader, welcome to Lightblog.\n" * (size // 36))
    return message.as_bytes()


def bare_client(port: int, n: int, message: bytes) -> tuple[float, float]:
    """``n`` sendmail() calls on one connection: (emails/s, client CPU ms/email)."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        cpu = time.process_time()
        started = time.perf_counter()
        for i in range(n):
            client.sendmail("noreply@localhost", [f"c{i}@example.com"], message)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return n / elapsed, cpu / n * 1000


def calibrate(n: int = 5_000) -> list[tuple[str, float, float, int]]:
    """A bare client into ``smtp-sink`` (counters on, to /dev/null) without a dump, with
    ``-D`` and with ``-d`` (in /dev/shm); last as the benchmarks run it (``smtp_sink()``:
    counters read, the dump parsed), checking that it counted every email once."""
    message = sample_message()
    rows = []
    for label, flag in (("no dump", None), ("-D (one file)", "-D"), ("-d (file per email)", "-d")):
        folder = Path(tempfile.mkdtemp(prefix="smtp-sink-cal-", dir="/dev/shm"))
        folder.chmod(0o777)
        port = free_port()
        dump = None if flag is None else str(folder / ("dump" if flag == "-D" else "m."))
        process = subprocess.Popen(
            command(port, dump, flag or "-D"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment(),
        )
        try:
            wait_listening(port, process)
            bare_client(port, 200, message)  # warm
            rate, cpu = bare_client(port, n, message)
        finally:
            process.terminate()
            process.wait(timeout=5)
        files = sum(1 for _ in folder.iterdir())
        shutil.rmtree(folder, ignore_errors=True)
        rows.append((label, rate, cpu, files))
    with smtp_sink() as sink:
        bare_client(sink.port, 200, message)
        sink.handler.wait_for(200, timeout=10)
        sink.handler.clear()
        rate, cpu = bare_client(sink.port, n, message)
        sink.handler.wait_for(n, timeout=30)
        recipients = [to for _, to, _ in sink.handler.snapshot()]
    if len(recipients) != n or len(set(recipients)) != n:
        raise AssertionError(f"counted {len(recipients)} ({len(set(recipients))} different) of {n}")
    rows.append(("-D, counters read and dump parsed (the benchmarks')", rate, cpu, 1))
    return rows


if __name__ == "__main__":  # pragma: no cover - python -m bench.postfix_sink [n]
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| sink | emails/s, one connection | client CPU ms/email | files |")
    print("|---|---|---|---|")
    for label, rate, cpu, files in calibrate(count):
        print(f"| smtp-sink, {label} | {rate:,.0f} | {cpu:.3f} | {files:,} |")
