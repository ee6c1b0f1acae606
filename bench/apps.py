"""The ``bench`` app: present only under ``bench.settings``."""

import os
import time
from pathlib import Path

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench"

    def ready(self) -> None:
        # Benchmark 3: how long the publish takes inside a registration request.
        # Every apply_async of this process appends "<task name> <seconds>" to a file.
        path = os.environ.get("BENCH_TIME_PUBLISH")
        if path:
            time_publishes(Path(path))


def time_publishes(path: Path) -> None:
    from celery.app.task import Task

    original = Task.apply_async

    def apply_async(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            with path.open("a") as out:
                out.write(f"{self.name} {elapsed:.6f}\n")

    Task.apply_async = apply_async
