"""Monitoring: the /metrics endpoint, the workers' metrics port, the probes (docs/monitoring.md).

/metrics answers only clients the allow-list names or that send the bearer token;
with neither set (the default outside ``local.py``) it answers 404.
"""

from ..env import env

# Client addresses or networks (CIDR) allowed to read /metrics, comma-separated.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# A scraper sending "Authorization: Bearer <token>" may read /metrics; empty: none.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# prometheus_client's own variable, read here too: with it set, counters are files in
# that folder, and /metrics adds up every process's (prefork workers, gunicorn workers).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# A worker's main process serves its folder's metrics on this port (0: it does not).
METRICS_WORKER_PORT = env.int("METRICS_WORKER_PORT", default=0)
METRICS_WORKER_ADDRESS = env.str("METRICS_WORKER_ADDRESS", default="127.0.0.1")
# /readyz: seconds each part (database, broker) may take before it counts as down.
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=2.0)
# Task events for celery-exporter's task families (celery_task_*_total): the workers
# send one event per task state, the publishers one when a task is sent. Off by
# default: each is a broker message. Worker heartbeats (celery_worker_up) need neither.
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("CELERY_WORKER_SEND_TASK_EVENTS", default=False)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS
