"""Celery tasks of the reminders app: thin, they take ids and call one service each.

- ``remind`` → ``reminder_deliver``: one reminder;
- ``remind_batch`` → ``reminders_deliver_batch``: a backlog's batch;
- ``dispatch_due`` → ``reminders_dispatch_due``: beat's sweep, every minute;
- ``digest`` → ``digest_send``: the weekly digest (beat: Sundays 10:00);
- ``prune_outbox`` → ``outbox_prune``: old stored emails deleted (beat: daily 04:30);
- ``log``, ``multiply``: the original blog's tasks.

Task names are contracts (beat rows, routes, queued messages): each is the constant
the services publish by (``services.publishing``). Every task here is safe to run
twice; ``acks_late`` means a worker that dies mid-task has its message delivered
again. The retry policy is ``reminders.retry``.
"""

import logging
from datetime import date

from celery import shared_task, states

from . import retry, services
from .digest import services as digest_services
from .services import outbox, publishing

logger = logging.getLogger(__name__)

# The old name of the exception a retried ``remind`` carries.
ReminderTemporaryFailure = retry.TemporaryFailure


@shared_task(bind=True, max_retries=None, name=publishing.REMIND)
def remind(self, reminder_id: str) -> dict[str, str]:
    """Send reminder ``reminder_id`` if it is pending and due.

    Celery's own retry limit is off: the reminder's ``attempts`` decide, across every
    message that ever carried it (retries and ``dispatch_due``'s republishing alike).
    """
    delivery = services.reminder_deliver(reminder_id=reminder_id)
    if delivery.retry_in is not None:
        raise self.retry(countdown=delivery.retry_in, exc=retry.TemporaryFailure(delivery.error))
    return delivery.as_dict()


@shared_task(name=publishing.REMIND_BATCH)
def remind_batch(reminder_ids: list[str]) -> dict:
    """Send a backlog's batch. Safe to run twice: a second run finds nothing left to
    claim. Retries are published by the service for the reminders that need one,
    never for the whole batch."""
    return services.reminders_deliver_batch(reminder_ids=reminder_ids).as_dict()


@shared_task(
    bind=True, name=publishing.DISPATCH_DUE, ignore_result=True, store_errors_even_if_ignored=True
)
def dispatch_due(self) -> dict[str, int]:
    """Reclaim lost claims and publish reminders that came due.

    A run that published as many as ``REMINDERS_DISPATCH_BATCH`` allows queues the
    next run at once, so a backlog larger than that drains without waiting for beat.

    Only a run that did something leaves a task result (and a failure always does):
    Celery decides whether to store a result before the task runs, so the task
    ignores its result and stores the report itself when there is one to read
    (docs/reminders.md, "Task results").
    """
    report = services.reminders_dispatch_due()
    if report.more:
        dispatch_due.delay()
    result = report.as_dict()
    # Called as a function (a shell, a script: no task id), there is no result to store.
    if self.request.id and (report.reclaimed or report.given_up or report.enqueued):
        self.update_state(state=states.SUCCESS, meta=result)
    return result


@shared_task(name=publishing.PRUNE_OUTBOX)
def prune_outbox() -> dict[str, int]:
    """Delete the account emails and digests that ended ``REMINDERS_OUTBOX_KEEP_DAYS``
    ago. Safe to run twice: the second finds nothing."""
    return {"deleted": outbox.outbox_prune()}


@shared_task(name="reminders.tasks.log")
def log(message: str) -> str:
    """Write ``message`` to the worker's log (a task of the original blog)."""
    logger.info("%s", message)
    return message


@shared_task(name="reminders.tasks.multiply")
def multiply(x: int, y: int) -> int:
    """Return ``x * y`` (a task of the original blog)."""
    return x * y


@shared_task(bind=True, max_retries=None, name=publishing.DIGEST)
def digest(self, week: str | None = None) -> dict[str, str | int]:
    """Running it twice in a week sends nothing new; an SMTP outage mid-run retries and
    resumes after the last recipient. A run longer than ``REMINDERS_DIGEST_DEADLINE``
    hands the rest of the ``week`` (an ISO date) to a new task, well before the task's
    time limit."""
    try:
        report = digest_services.digest_send(week=date.fromisoformat(week) if week else None)
    except digest_services.DigestInterrupted as exc:
        attempt = self.request.retries + 1
        if not retry.retries_left(attempt):
            raise
        raise self.retry(countdown=retry.retry_delay(attempt), exc=exc) from exc
    if report.status == digest_services.DigestStatus.CONTINUED:
        digest.apply_async(kwargs={"week": report.week})
    return report.as_dict()
