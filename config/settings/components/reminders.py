"""The welcome-email pipeline and the weekly digest (reminders/).

Every value is in seconds unless named otherwise. The constraints between them and the
Celery time limits are system checks (reminders/checks.py): ``manage.py check`` fails
on a combination that could lose or duplicate an email.
"""

from ..env import env

# Due within this: published at save with eta=date; later: left to dispatch_due.
REMINDERS_ETA_HORIZON = env.int("REMINDERS_ETA_HORIZON", default=600)
# A "sending" claim older than this belongs to a lost worker: dispatch_due takes it back.
REMINDERS_LEASE = env.int("REMINDERS_LEASE", default=600)
# A pending reminder whose message should have run this long ago is published again.
REMINDERS_ENQUEUE_GRACE = env.int("REMINDERS_ENQUEUE_GRACE", default=600)
# Temporary SMTP failures: first delay, doubled per attempt with jitter, capped at the
# maximum; after REMINDERS_MAX_RETRIES retries the reminder is failed.
REMINDERS_RETRY_DELAY = env.int("REMINDERS_RETRY_DELAY", default=300)
REMINDERS_RETRY_MAX_DELAY = env.int("REMINDERS_RETRY_MAX_DELAY", default=1200)
REMINDERS_MAX_RETRIES = env.int("REMINDERS_MAX_RETRIES", default=5)
# The welcome email's date: the moment of registration plus this.
REMINDERS_WELCOME_DELAY = env.int("REMINDERS_WELCOME_DELAY", default=0)
# manage.py reminders_status exits non-zero when a due reminder waits longer than this.
REMINDERS_DUE_ALERT = env.int("REMINDERS_DUE_ALERT", default=900)
# Seconds a beat holds the beat lease without renewing it; a waiting beat takes over
# within about 1.4 times this after the leader died or hung (reminders/beat.py).
REMINDERS_BEAT_LEASE = env.int("REMINDERS_BEAT_LEASE", default=30)
# manage.py reminders_status exits non-zero when beat has not ticked for this long.
REMINDERS_BEAT_ALERT = env.int("REMINDERS_BEAT_ALERT", default=180)
# A publish from a web request while the broker is down: this many quick retries this
# far apart, then the reminder is left for dispatch_due.
REMINDERS_PUBLISH_MAX_RETRIES = env.int("REMINDERS_PUBLISH_MAX_RETRIES", default=1)
REMINDERS_PUBLISH_RETRY_INTERVAL = env.float("REMINDERS_PUBLISH_RETRY_INTERVAL", default=0.2)
# Seconds to wait for the SMTP server's reply to the end of DATA (every other command
# waits EMAIL_TIMEOUT); no reply in time is "outcome unknown", never resent by itself.
REMINDERS_SMTP_DATA_TIMEOUT = env.int("REMINDERS_SMTP_DATA_TIMEOUT", default=180)
# Reminders dispatch_due publishes per run; a run that reaches it queues the next at once.
REMINDERS_DISPATCH_BATCH = env.int("REMINDERS_DISPATCH_BATCH", default=5000)
# A backlog is sent in batches of this many: one claim UPDATE per batch.
REMINDERS_BATCH_SIZE = env.int("REMINDERS_BATCH_SIZE", default=100)
# SMTP connections a batch is sent over at once, each in a thread of its own.
REMINDERS_BATCH_CONNECTIONS = env.int("REMINDERS_BATCH_CONNECTIONS", default=4)
# Seconds a batch may spend sending; past it the unsent rest is handed back and queued.
REMINDERS_BATCH_DEADLINE = env.int("REMINDERS_BATCH_DEADLINE", default=60)
# Digest recipients loaded and sent per SMTP connection.
REMINDERS_DIGEST_CHUNK = env.int("REMINDERS_DIGEST_CHUNK", default=200)
# Seconds one digest task sends before it hands the rest of the week to a new task.
REMINDERS_DIGEST_DEADLINE = env.int("REMINDERS_DIGEST_DEADLINE", default=180)
# An email larger than this (bytes, serialised) is refused when it is sent: the
# outbox stores whole messages and most receiving servers refuse 25 MB or less.
REMINDERS_OUTBOX_MAX_BYTES = env.int("REMINDERS_OUTBOX_MAX_BYTES", default=10 * 1024 * 1024)
# Days a stored account email or digest is kept once it ended (sent, failed,
# cancelled, suppressed); the daily prune_outbox deletes older ones. 0 keeps them all.
REMINDERS_OUTBOX_KEEP_DAYS = env.int("REMINDERS_OUTBOX_KEEP_DAYS", default=30)
# The site's public address: links in emails (the digest) are absolute.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# A mailbox someone reads for unsubscribe requests, offered beside the one-click link in
# the digest's List-Unsubscribe; empty (the default): the link only.
REMINDERS_UNSUBSCRIBE_MAILTO = env.str("REMINDERS_UNSUBSCRIBE_MAILTO", default="")
# The queue of the email tasks; name another (e.g. "email") and start a worker with
# -Q email to keep slow SMTP away from other work.
REMINDERS_QUEUE = env.str("REMINDERS_QUEUE", default="celery")
CELERY_TASK_ROUTES = {
    "reminders.tasks.remind": {"queue": REMINDERS_QUEUE},
    "reminders.tasks.remind_batch": {"queue": REMINDERS_QUEUE},
    "reminders.tasks.digest": {"queue": REMINDERS_QUEUE},
}
