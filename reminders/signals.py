"""Signal receivers: they schedule work after commit and hold no logic of their own."""

from functools import partial

from django.db import transaction

from .models import Reminder, ReminderStatus
from .services import reminder_enqueue


def reminder_saved(sender, instance: Reminder, created: bool, raw: bool = False, **kwargs) -> None:
    """Schedule the email of a new reminder, or of a pending one whose date, email,
    subject or text changed, once the transaction commits (never on a rollback)."""
    if raw:  # loaddata
        return
    if instance.status != ReminderStatus.PENDING:
        return
    if not (created or getattr(instance, "schedule_changed", False)):
        return
    # robust: a failure here is logged, never raised into the request that committed.
    transaction.on_commit(
        partial(
            reminder_enqueue,
            reminder_id=instance.pk,
            next_attempt_at=instance.next_attempt_at,
        ),
        robust=True,
    )
