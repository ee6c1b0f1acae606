"""Importable helpers shared by the tests and the benchmarks of ``bench/``: an SMTP
server that records what it receives, control of real processes (Celery worker, beat,
gunicorn), a TCP proxy that cuts and restores a server, an HTTP signup client, polling,
and the tally of sent, lost and duplicated mail. Plain modules only: no fixtures (they
live in the ``conftest.py`` files) and no tests.
"""
