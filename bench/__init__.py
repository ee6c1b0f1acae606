"""Benchmarks of Lightblog (``make bench``): each compares the project with a baseline
measured in the same run on the same servers; see docs/benchmarks.md (figures in
bench/results.md)."""
