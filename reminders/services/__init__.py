"""The reminders' writes. Import from here; the submodules are an implementation detail.

One module per concern, in the order a reminder meets them:

- ``scheduling``: create, welcome, edit, send now / again, cancel (web, admin, API);
- ``publishing``: task messages by task name, after commit (the only broker access);
- ``dispatch``: beat's sweep, lost claims and due reminders (``dispatch_due``);
- ``delivery``: one reminder claimed, sent and recorded (``remind``);
- ``batches``: a backlog's batch over several SMTP connections (``remind_batch``).

The weekly digest is ``reminders.digest``, the SMTP machinery ``reminders.mail``, the
retry policy ``reminders.retry``. Siblings import each other directly, never through
this file; ``docs/architecture.md`` has the rules.
"""

from ..digest.services import (
    DigestInterrupted,
    DigestReport,
    DigestStatus,
    digest_send,
    digest_week,
)
from ..emails import reminder_email
from ..mail.smtp import smtp_failure
from ..retry import retry_delay as reminder_retry_delay
from .batches import BatchReport, reminders_claim_batch, reminders_deliver_batch
from .delivery import (
    Delivery,
    DeliveryOutcome,
    DeliveryStatus,
    reminder_claim,
    reminder_deliver,
)
from .dispatch import DispatchReport, reminders_dispatch_due
from .publishing import (
    enqueue_on_commit,
    reminder_chunks,
    reminder_enqueue,
    reminders_enqueue,
    reminders_enqueue_due,
    reminders_publish,
)
from .scheduling import (
    RESCHEDULABLE,
    SENDABLE_AGAIN,
    BulkChange,
    reminder_cancel,
    reminder_create,
    reminder_send_again,
    reminder_send_now,
    reminder_update,
    reminders_cancel_for_user,
    reminders_mark_sent,
    reminders_send_again,
    reminders_send_now,
    welcome_reminder_create,
)

__all__ = [
    "RESCHEDULABLE",
    "SENDABLE_AGAIN",
    "BatchReport",
    "BulkChange",
    "Delivery",
    "DeliveryOutcome",
    "DeliveryStatus",
    "DigestInterrupted",
    "DigestReport",
    "DigestStatus",
    "DispatchReport",
    "digest_send",
    "digest_week",
    "enqueue_on_commit",
    "reminder_cancel",
    "reminder_chunks",
    "reminder_claim",
    "reminder_create",
    "reminder_deliver",
    "reminder_email",
    "reminder_enqueue",
    "reminder_retry_delay",
    "reminder_send_again",
    "reminder_send_now",
    "reminder_update",
    "reminders_cancel_for_user",
    "reminders_claim_batch",
    "reminders_deliver_batch",
    "reminders_dispatch_due",
    "reminders_enqueue",
    "reminders_enqueue_due",
    "reminders_mark_sent",
    "reminders_publish",
    "reminders_send_again",
    "reminders_send_now",
    "smtp_failure",
    "welcome_reminder_create",
]
