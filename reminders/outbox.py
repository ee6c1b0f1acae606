"""The email backend of the site (``EMAIL_BACKEND``): every email into the outbox.

Django's ``send_mail()``, ``mail_admins()``, allauth's and the password reset's emails
all reach ``send_messages()``, which stores them in the database in the caller's
transaction (``services.outbox``); a Celery worker sends them once it commits, with
the real backend ``REMINDERS_EMAIL_BACKEND``. Nothing here opens a network connection.
"""

from __future__ import annotations

import logging

from django.core.mail.backends.base import BaseEmailBackend

from .services.outbox import outbox_store

logger = logging.getLogger(__name__)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        """Store each message; returns how many were stored (a message with no
        recipient is not, as Django's SMTP backend does not send it)."""
        messages = [message for message in email_messages if message.recipients()]
        if not messages:
            return 0
        try:
            outbox_store(messages)
        except Exception:
            if not self.fail_silently:
                raise
            logger.exception("%d email(s) could not be stored in the outbox", len(messages))
            return 0
        return len(messages)
