"""Deleting reminders in the admin: never one an email may have gone out for.

A reminder being sent, sent or of unknown outcome is the record of that email
(``models.KEPT_AS_RECORD``): it has no delete permission, its delete page sends staff
back with the reason, and the bulk action deletes only the others and says so. The
deletion itself re-reads the rows under a lock, so a reminder a worker claimed after
the page was opened is kept too. Before issue #19 a reminder could be deleted while
``sending``, leaving no record of an email that went out.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import KEPT_AS_RECORD, Reminder

KEPT_MESSAGE = _(
    "A reminder being sent, sent or of unknown outcome is the record of an email that "
    "may have gone out: it cannot be deleted. Cancel a pending or failed one instead."
)


class DeletionRefused(Exception):
    """The reminder became one to keep between the delete page and its deletion."""


class KeepSentReminders:
    """Mixed into ``ReminderAdmin`` before ``admin.ModelAdmin``; list the action as
    ``"delete_selected"`` in its ``actions`` to replace Django's."""

    def has_delete_permission(self, request: HttpRequest, obj: Reminder | None = None) -> bool:
        if obj is not None and obj.status in KEPT_AS_RECORD:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.status in KEPT_AS_RECORD:
            return self._refuse_deletion(request, obj)
        try:
            return super().delete_view(request, object_id, extra_context)
        except DeletionRefused:
            return self._refuse_deletion(request, obj)

    def _refuse_deletion(self, request: HttpRequest, obj: Reminder) -> HttpResponseRedirect:
        self.message_user(request, KEPT_MESSAGE, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:reminders_reminder_change", args=[obj.pk]))

    def delete_model(self, request: HttpRequest, obj: Reminder) -> None:
        # The row lock orders this after a worker's claim: a reminder claimed since the
        # page was opened is kept (and the whole view rolls back with the message).
        with transaction.atomic():
            deleted = self._deletable(Reminder.objects.filter(pk=obj.pk))
            if not deleted:
                raise DeletionRefused
            Reminder.objects.filter(pk__in=deleted).delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        with transaction.atomic():
            Reminder.objects.filter(pk__in=self._deletable(queryset)).delete()

    @staticmethod
    def _deletable(queryset: QuerySet[Reminder]) -> list:
        locked = queryset.select_for_update().exclude(status__in=KEPT_AS_RECORD)
        return list(locked.values_list("pk", flat=True))

    @admin.action(description=_("Delete selected reminders"), permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Reminder]):
        """Django's delete action, for the reminders that may be deleted only: those an
        email may have gone out for are kept, and the message says so."""
        kept = queryset.filter(status__in=KEPT_AS_RECORD).count()
        if kept:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected reminder is kept: %(why)s",
                    "%(count)d selected reminders are kept: %(why)s",
                    kept,
                )
                % {"count": kept, "why": KEPT_MESSAGE},
                messages.WARNING,
            )
        deletable = queryset.exclude(status__in=KEPT_AS_RECORD)
        if not deletable.exists():
            return None
        return django_delete_selected(self, request, deletable)
