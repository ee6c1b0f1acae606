"""Celery: the broker and the task defaults (https://docs.celeryq.dev/en/stable/userguide/configuration.html).

Celery reads every ``CELERY_*`` name here through ``config/celery.py``.
"""

from datetime import timedelta

from ..env import VAR_DIR, env

# kombu wants a host name even for files; "localhost" only silences its warning.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")


def broker_transport_options(url: str, folder: str = "broker") -> dict:
    """Transport options fitting the broker the URL names."""
    if url.startswith("filesystem://"):
        # One folder is both in and out: producer and consumers share it. The
        # control folder carries fanout, so `celery inspect ping` works. The
        # transport creates them when it connects (config/filesystem_broker.py).
        broker_dir = VAR_DIR / folder
        queue_dir = broker_dir / "queue"
        return {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "polling_interval": 0.2,
        }
    if url.startswith(("redis://", "rediss://")):
        # Redis redelivers an unacknowledged message after this long; no task may
        # be held longer (the reminders ETA horizon is far below it). The socket
        # timeouts bound a publish to a Redis that accepts connections but does
        # not answer (without them a web request saving a reminder would hang).
        return {
            "visibility_timeout": 3600,
            "socket_connect_timeout": env.int("REDIS_SOCKET_TIMEOUT", default=3),
            "socket_timeout": env.int("REDIS_SOCKET_TIMEOUT", default=3),
        }
    return {}


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
# The filesystem broker writes each message atomically (kombu's own can hand a
# worker a half-written file, which stops the worker): config/filesystem_broker.py.
CELERY_BROKER_TRANSPORT = (
    "config.filesystem_broker:Transport" if CELERY_BROKER_URL.startswith("filesystem://") else None
)
# A worker started before the broker keeps trying instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Outcomes are rows in the database (django-celery-results), with name and args.
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Results older than a week are deleted by the daily celery.backend_cleanup.
CELERY_RESULT_EXPIRES = timedelta(days=7)
# JSON only: no pickle, so a message can never run code on the worker.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# No task may hang a worker process: soft limit raises in the task, hard kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Acknowledge after the task ran, so a worker that dies mid-task gets the message
# redelivered; the reminder's claim makes the second run harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Take one message at a time: a slow email does not hold others hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Record STARTED so staff can tell a running task from a queued one.
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
# Beat reads its schedule from the database, editable in the admin; several beats may
# run, and only the holder of the beat lease schedules (reminders/beat.py).
CELERY_BEAT_SCHEDULER = "reminders.beat:LeaderScheduler"
# A task's print() (the console email backend's output) is logged at INFO, not WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
# utf8mb4 index keys on MySQL are limited to 767 bytes on old row formats: 191 chars.
DJANGO_CELERY_RESULTS_TASK_ID_MAX_LENGTH = 191
