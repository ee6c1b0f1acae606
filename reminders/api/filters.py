"""Query-string filters of the reminder list."""

from __future__ import annotations

import django_filters

from reminders.models import Reminder, ReminderStatus


class ReminderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReminderStatus.choices)
    email = django_filters.CharFilter(
        lookup_expr="iexact", help_text="Reminders to this address (any letter case)."
    )

    class Meta:
        model = Reminder
        fields = ["status", "email"]
