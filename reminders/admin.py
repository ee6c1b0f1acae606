"""Staff's view of the reminders: what is due, what went out, what failed, and why.

Every write goes through a service, so an edit in the admin reschedules exactly as
the API or a shell would; the delivery fields are the pipeline's and read-only.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import DigestRun, Reminder
from .permissions import can_cancel_reminders, can_send_reminders
from .services import (
    RESCHEDULABLE,
    BulkChange,
    reminder_cancel,
    reminder_create,
    reminder_update,
    reminders_send_again,
    reminders_send_now,
)

CONTENT_FIELDS = ("email", "subject", "text", "date", "user")
DELIVERY_FIELDS = (
    "id",
    "status",
    "attempts",
    "last_error",
    "sent_at",
    "next_attempt_at",
    "enqueued_at",
    "claimed_at",
    "created",
    "updated",
)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("email", "subject", "date", "status", "attempts", "sent_at", "short_error")
    list_filter = ("status", "date")
    search_fields = ("email",)
    date_hierarchy = "date"
    ordering = ("-date",)
    raw_id_fields = ("user",)
    readonly_fields = DELIVERY_FIELDS
    fieldsets = (
        (None, {"fields": CONTENT_FIELDS}),
        (
            _("Delivery"),
            {
                "fields": DELIVERY_FIELDS,
                "description": _(
                    "Written by the workers. Editing the email, subject, text or date of a "
                    "pending or failed reminder reschedules it with a fresh attempt count."
                ),
            },
        ),
    )
    actions = ("send_now", "cancel", "send_again")

    @admin.display(description=_("last error"))
    def short_error(self, reminder: Reminder) -> str:
        return Truncator(reminder.last_error).chars(60)

    def get_readonly_fields(self, request: HttpRequest, obj: Reminder | None = None):
        if obj is not None and obj.status not in RESCHEDULABLE:
            # Sending, sent or cancelled: what went out stays on record; "send again"
            # or "send now" make it pending (and editable) again.
            return (*CONTENT_FIELDS, *DELIVERY_FIELDS)
        return DELIVERY_FIELDS

    def save_model(self, request: HttpRequest, obj: Reminder, form, change: bool) -> None:
        if not change:
            created = reminder_create(**{name: form.cleaned_data[name] for name in CONTENT_FIELDS})
            obj.pk = created.pk  # the admin logs and redirects with obj
            obj.refresh_from_db()
            return
        changed = [name for name in Reminder.SCHEDULE_FIELDS if name in form.changed_data]
        try:
            if changed:
                # The service brings obj up to date with what it saved.
                reminder_update(reminder=obj, **{name: form.cleaned_data[name] for name in changed})
            if "user" in form.changed_data:
                obj.user = form.cleaned_data["user"]
                obj.save(update_fields=["user", "updated"])
        except ValidationError as error:
            # The reminder changed state since the form was opened (a worker claimed it).
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    # ACTIONS
    # --------------------------------------------------------------------------
    # The actions need the permissions the API's do (reminders/permissions.py).
    def has_send_permission(self, request: HttpRequest) -> bool:
        return can_send_reminders(request.user)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return can_cancel_reminders(request.user)

    @admin.action(description=_("Send now"), permissions=["send"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        # Many at once go out in batches (one claim per batch, sent over a few connections).
        self._report(request, reminders_send_now(reminders=queryset), _("queued to send now"))

    @admin.action(description=_("Cancel"), permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        self._apply(request, queryset, reminder_cancel, _("cancelled"))

    @admin.action(description=_("Send again"), permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        self._report(request, reminders_send_again(reminders=queryset), _("queued to send again"))

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Reminder],
        service: Callable[..., Reminder],
        done: str,
    ) -> None:
        succeeded, refused = 0, []
        for reminder in queryset:
            try:
                service(reminder=reminder)
            except ValidationError as error:
                refused.append(f"{reminder.email}: {' '.join(error.messages)}")
            else:
                succeeded += 1
        self._message(request, succeeded, refused, done)

    def _report(self, request: HttpRequest, change: BulkChange, done: str) -> None:
        refused = [f"{reminder.email}: {reason}" for reminder, reason in change.refused]
        self._message(request, len(change.changed), refused, done)

    def _message(self, request: HttpRequest, succeeded: int, refused: list[str], done: str) -> None:
        if succeeded:
            self.message_user(
                request,
                ngettext("%(count)d reminder %(done)s.", "%(count)d reminders %(done)s.", succeeded)
                % {"count": succeeded, "done": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, _("Not changed: %s") % "; ".join(refused), messages.WARNING)


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("week", "posts", "recipients", "started_at", "finished_at")
    date_hierarchy = "week"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
