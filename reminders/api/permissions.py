"""The reminders' API asks ``reminders.permissions``, per action: the admin's rules."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from reminders.permissions import (
    can_add_reminders,
    can_cancel_reminders,
    can_send_reminders,
    can_view_reminders,
)


def _view_and(rule):
    # An action answers with the reminder (address, text): it needs seeing them too.
    return lambda user: can_view_reminders(user) and rule(user)


class ReminderPermission(BasePermission):
    """Each action of ``ReminderViewSet`` and the permission it needs.

    Checked before the object is looked up, so a 403 never says whether an id exists.
    An action missing here is refused; a method a route does not take is a 405 for
    who may view reminders, a 403 for anyone else. Anonymous requests fail too, which DRF answers
    with 401.
    """

    RULES = {
        "list": can_view_reminders,
        "retrieve": can_view_reminders,
        "metadata": can_view_reminders,  # OPTIONS
        None: can_view_reminders,  # a method the route does not take: then a 405
        "create": _view_and(can_add_reminders),
        "send_now": _view_and(can_send_reminders),
        "send_again": _view_and(can_send_reminders),
        "cancel": _view_and(can_cancel_reminders),
    }

    def has_permission(self, request, view) -> bool:
        rule = self.RULES.get(view.action)
        return bool(rule and request.user and rule(request.user))
