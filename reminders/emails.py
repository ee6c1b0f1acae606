"""The reminder's email, built from its row: plain text with an HTML alternative."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from .mail.messages import BatchEmail
from .models import Reminder


def reminder_email(reminder: Reminder) -> BatchEmail:
    """The email of ``reminder``, with its stable Message-ID (see ``Reminder.message_id``)."""
    context = {"reminder": reminder}
    message = BatchEmail(
        subject=reminder.subject,
        body=render_to_string("reminders/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        headers={"Message-ID": reminder.message_id},
    )
    message.attach_alternative(
        render_to_string("reminders/email/reminder.html", context), "text/html"
    )
    return message
