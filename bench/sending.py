"""Measuring a sender of benchmark 6: its CPU and MariaDB's, what the sink got, and the
bare sender's round (bench/bare_sender.py, the limit row on smtp-sink)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench import harness


def tally(sink: harness.Sink, emails: list[str], started: float) -> dict:
    """What the sink got of ``emails`` since ``started``: the rate, lost, duplicates."""
    wanted = set(emails)
    arrivals = [(at, to) for at, to, _ in sink.handler.snapshot() if to in wanted]
    received = [to for _, to in arrivals]
    first = min(at for at, _ in arrivals)
    last = max(at for at, _ in arrivals)
    n = len(emails)
    return {
        "seconds": last - started,
        "per_s": n / (last - started),
        "first_email_s": first - started,
        "per_s_first_to_last": (n - 1) / (last - first) if last > first else float("nan"),
        "lost": n - len(set(received)),
        "duplicates": len(received) - len(set(received)),
    }


class CPU:
    """CPU seconds spent during a block by the sender (the worker's process tree, or
    the post-office command and its pool: children of this process) and by MariaDB."""

    def __init__(self, worker_pid: int | None = None) -> None:
        import psutil

        self.worker = psutil.Process(worker_pid) if worker_pid else None
        self.mariadb = [
            p for p in psutil.process_iter(["name"]) if p.info["name"] in ("mariadbd", "mysqld")
        ]

    @staticmethod
    def _seconds(processes) -> float:
        import psutil

        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def _sender(self) -> float:
        if self.worker is None:
            times = os.times()
            return times.children_user + times.children_system
        return self._seconds([self.worker, *self.worker.children(recursive=True)])

    def __enter__(self) -> CPU:
        self.start = (self._sender(), self._seconds(self.mariadb))
        return self

    def __exit__(self, *exc: object) -> None:
        self.sender = self._sender() - self.start[0]
        self.database = self._seconds(self.mariadb) - self.start[1]


def bare_send(sink, message: bytes, emails: list[str], connections: int) -> dict:
    """bench/bare_sender.py: ``emails`` over ``connections``, from its "go" to the last
    email at the sink; CPU as the sender reports it (its start-up left out)."""
    message_file = harness.VAR_DIR / "bare-message.eml"
    recipients_file = harness.VAR_DIR / "bare-recipients.txt"
    message_file.write_bytes(message)
    recipients_file.write_text("\n".join(emails))
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "bench.bare_sender", str(sink.port), str(connections)),
            *(str(message_file), str(recipients_file)),
        ],
        cwd=harness.BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the bare sender did not start ({process.wait()})")
    sink.handler.clear()
    with CPU() as cpu:
        started = time.monotonic()
        process.stdin.write("go\n")
        process.stdin.flush()
        report = json.loads(process.stdout.readline())
        process.wait()
    if not sink.handler.wait_for(len(emails), timeout=60):
        raise TimeoutError(f"bare sender: {sink.handler.count()} of {len(emails)} emails")
    result = tally(sink, emails, started)
    result["sender_cpu_ms"] = report["cpu_s"] / len(emails) * 1000
    result["database_cpu_ms"] = cpu.database / len(emails) * 1000
    return result
