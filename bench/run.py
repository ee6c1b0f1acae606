"""Run the benchmarks: ``python -m bench.run [NAME ...]``, names from ``NAMES``.

With no name, all run in order; at the end a summary table lists every target of the
invocation with its figure and verdict (printed and appended to bench/results.md).
``backlog-sink`` is benchmark 6 on Postfix's smtp-sink with the bare sender's limit
row. ``latency`` measures benchmarks 2 (response to email) and 3 (the publish inside
the request) from the same registrations. Each prints its table, appends to
bench/results.md and redraws bench/results.png. The servers are named by
BENCH_DATABASE_URL, BENCH_AMQP_URL and BENCH_REDIS_URL (see bench/harness.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys

NAMES = (
    "throughput",
    "latency",
    "signup",
    "pages",
    "digest",
    "backlog",
    "backlog-sink",
    "render",
)
# A name that is a variant of another module's run(): (module, keyword arguments).
VARIANTS = {"backlog-sink": ("backlog", {"sink": "smtp-sink"})}


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
    everything = []
    for name in names:
        module_name, kwargs = VARIANTS.get(name, (name, {}))
        module = importlib.import_module(f"bench.{module_name}")
        print(f"== {name} ==", flush=True)
        results = module.run(**kwargs)
        harness.record(results, description)
        everything += results
    harness.record_summary(everything)
    return 0


if __name__ == "__main__":
    sys.exit(main())
