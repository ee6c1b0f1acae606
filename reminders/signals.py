"""Signal receivers: they schedule work after commit and hold no logic of their own."""

from .models import Reminder, ReminderStatus
from .services.publishing import enqueue_on_commit


def reminder_saved(sender, instance: Reminder, created: bool, raw: bool = False, **kwargs) -> None:
    """Schedule the email of a new reminder, or of a pending one whose date, email,
    subject or text changed, once the transaction commits (never on a rollback)."""
    if raw:  # loaddata
        return
    if instance.status == ReminderStatus.PENDING and (created or instance.schedule_changed):
        enqueue_on_commit([instance.pk], at=instance.next_attempt_at)
