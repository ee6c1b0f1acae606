"""Signal receivers: they schedule work after commit and hold no logic of their own."""

from .models import Reminder, ReminderStatus
from .services.publishing import enqueue_on_commit
from .services.scheduling import reminders_cancel_for_user


def reminder_saved(sender, instance: Reminder, created: bool, raw: bool = False, **kwargs) -> None:
    """Schedule the email of a new reminder, or of a pending one whose date, email,
    subject or text changed, once the transaction commits (never on a rollback)."""
    if raw:  # loaddata
        return
    if instance.status == ReminderStatus.PENDING and (created or instance.schedule_changed):
        enqueue_on_commit([instance.pk], at=instance.next_attempt_at)


def user_deleting(sender, instance, **kwargs) -> None:
    """Cancel the pending emails of a user being deleted (the admin, ``user.delete()``,
    a queryset's ``delete()``). Unlike the receiver above it cannot wait for the
    commit: it runs inside the deletion's transaction, before ``user`` is set to NULL,
    so the cancellation commits or rolls back with the deletion."""
    reminders_cancel_for_user(user_id=instance.pk)
