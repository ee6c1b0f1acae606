"""Who may do what with reminders: the one place the admin and the API ask.

The admin's rules, written once: staff (``is_staff``, active) with Django's model
permissions on ``Reminder``. Seeing reminders (their addresses and texts) needs
``view_reminder`` or ``change_reminder`` (Django counts a change permission as a view
one); scheduling one ``add_reminder``; "send now" and "send again" the custom
``send_reminder``; "cancel" the custom ``cancel_reminder``; "mark sent" (an unknown
outcome that did arrive) ``change_reminder``. A superuser has them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

VIEW = "reminders.view_reminder"
CHANGE = "reminders.change_reminder"
ADD = "reminders.add_reminder"
SEND = "reminders.send_reminder"
CANCEL = "reminders.cancel_reminder"


def _staff(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def can_view_reminders(user: User) -> bool:
    """May list and read reminders: their addresses, texts and delivery state."""
    return _staff(user) and (user.has_perm(VIEW) or user.has_perm(CHANGE))


def can_add_reminders(user: User) -> bool:
    """May schedule an email to any address."""
    return _staff(user) and user.has_perm(ADD)


def can_send_reminders(user: User) -> bool:
    """May send reminders now (or again): "Send now" and "Send again"."""
    return _staff(user) and user.has_perm(SEND)


def can_cancel_reminders(user: User) -> bool:
    """May cancel pending or failed reminders."""
    return _staff(user) and user.has_perm(CANCEL)


def can_mark_reminders_sent(user: User) -> bool:
    """May record that an email whose outcome was unknown did arrive ("Mark sent")."""
    return _staff(user) and user.has_perm(CHANGE)
