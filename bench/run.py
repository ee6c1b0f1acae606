"""Run the benchmarks: ``python -m bench.run [throughput|latency|pages|digest|backlog|render ...]``.

With no name, all run in order. ``latency`` measures benchmarks 2 (response to email)
and 3 (the publish inside the request) from the same registrations. Each prints its
table, appends to bench/results.md and redraws bench/results.png. The servers are
named by BENCH_DATABASE_URL, BENCH_AMQP_URL and BENCH_REDIS_URL (see bench/harness.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys

NAMES = ("throughput", "latency", "pages", "digest", "backlog", "render")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(NAMES)} (default: all)")
    args = parser.parse_args(argv)
    names = args.names or list(NAMES)
    unknown = [name for name in names if name not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")

    from bench import harness

    harness.setup_django()
    description = harness.machine()
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        results = module.run()
        harness.record(results, description)
    return 0


if __name__ == "__main__":
    sys.exit(main())
