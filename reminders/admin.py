"""Staff's view of the reminders: what is due, what went out, what failed, and why.

Every write goes through a service, so an edit in the admin reschedules exactly as
the API or a shell would; the delivery fields are the pipeline's and read-only. A
reminder being sent, sent, cancelled or of unknown outcome opens read-only (no Save
buttons); each shows its attempts and links to the task results that carried it
(``task_results.py``). An edit whose reminder changed state after the page was opened
is refused, the form shown again with the changes (``forms.ReminderAdminForm``). A
reminder an email may have gone out for (sending, sent, unknown) cannot be deleted:
it is the record of that email (``admin_deletion.py``).
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_deletion import KeepSentReminders
from .forms import SEEN_FIELD, ReminderAdminForm, posted_while_editable
from .models import DigestRun, MailKind, OutboxEmail, Reminder, ReminderAttempt
from .permissions import can_cancel_reminders, can_mark_reminders_sent, can_send_reminders
from .services import (
    RESCHEDULABLE,
    SENDABLE_AGAIN,
    BulkChange,
    reminder_cancel,
    reminder_create,
    reminder_update,
    reminders_mark_sent,
    reminders_send_again,
    reminders_send_now,
)

# Importing it re-registers the task results admin (readable columns).
from .task_results import task_results_url

# The confirmation page of "send again" names this many recipients, then counts the rest.
CONFIRM_LISTED = 100

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
    "task_results",
)


class ReminderAttemptInline(admin.TabularInline):
    """Each try at sending, newest first: written by the workers, never edited."""

    model = ReminderAttempt
    fields = ("time", "outcome", "smtp_reply")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("attempts (newest first)")

    @admin.display(description=_("time"), ordering="at")
    def time(self, attempt: ReminderAttempt) -> str:
        return f"{timezone.localtime(attempt.at):%Y-%m-%d %H:%M:%S}"

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may see the reminder sees its history: no permission of its own.
        opts = Reminder._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or (
            request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class EmailActions:
    """What the reminders' and the outbox's admins share: the link to a row's task
    results and the staff actions, each needing the permission the API's does
    (reminders/permissions.py)."""

    @admin.display(description=_("task results"))
    def task_results(self, reminder: Reminder) -> str:
        if reminder.pk is None:
            return "-"
        return format_html('<a href="{}">{}</a>', task_results_url(reminder.pk), _("Task results"))

    def has_send_permission(self, request: HttpRequest) -> bool:
        return can_send_reminders(request.user)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return can_cancel_reminders(request.user)

    def has_mark_sent_permission(self, request: HttpRequest) -> bool:
        return can_mark_reminders_sent(request.user)

    @admin.action(description=_("Send now"), permissions=["send"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        # Many at once go out in batches (one claim per batch, sent over a few connections).
        self._report(request, reminders_send_now(reminders=queryset), _("queued to send now"))

    @admin.action(description=_("Cancel"), permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        self._apply(request, queryset, reminder_cancel, _("cancelled"))

    @admin.action(
        description=_("Mark sent (outcome unknown, but it arrived)"), permissions=["mark_sent"]
    )
    def mark_sent(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        """For a reminder whose server never answered, once staff know it arrived."""
        self._report(request, reminders_mark_sent(reminders=queryset), _("marked sent"))

    @admin.action(description=_("Send again"), permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Reminder]):
        """Mail these people once more, after a page that lists them (as Django's
        delete action does): one click never sends an email again."""
        if request.POST.get("post") == "yes":
            self._report(
                request, reminders_send_again(reminders=queryset), _("queued to send again")
            )
            return None
        eligible = queryset.filter(status__in=SENDABLE_AGAIN).order_by("email")
        count = eligible.count()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send these reminders again?"),
            "opts": self.model._meta,
            "queryset": queryset,
            "recipients": list(
                eligible.values_list("email", "subject", "sent_at", "status")[:CONFIRM_LISTED]
            ),
            "count": count,
            "more": max(count - CONFIRM_LISTED, 0),
            "refused": queryset.exclude(status__in=SENDABLE_AGAIN).count(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        }
        return TemplateResponse(
            request, "admin/reminders/reminder/send_again_confirmation.html", context
        )

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


@admin.register(Reminder)
class ReminderAdmin(EmailActions, KeepSentReminders, admin.ModelAdmin):
    form = ReminderAdminForm
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
    actions = ("send_now", "cancel", "send_again", "mark_sent", "delete_selected")
    inlines = (ReminderAttemptInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reminder]:
        # Reminders only: the other emails of the outbox are the read-only OutboxEmail's.
        return super().get_queryset(request).filter(kind=MailKind.REMINDER)

    @admin.display(description=_("last error"))
    def short_error(self, reminder: Reminder) -> str:
        return Truncator(reminder.last_error).chars(60)

    def get_inlines(self, request: HttpRequest, obj: Reminder | None = None):
        return self.inlines if obj is not None else ()

    def get_fieldsets(self, request: HttpRequest, obj: Reminder | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets  # read-only: no form, no token
        # The state the page was opened in, compared under a row lock when it is saved.
        (name, options), *rest = fieldsets
        return ((name, {**options, "fields": (*options["fields"], SEEN_FIELD)}), *rest)

    def has_change_permission(self, request: HttpRequest, obj: Reminder | None = None) -> bool:
        # Sending, sent, cancelled or unknown: the page is read-only, without Save
        # buttons, and a POST to it is refused; "send now" / "send again" make it
        # pending again. A POST from a page opened while it was editable gets its form
        # back with the reason instead (the status changed meanwhile: nothing is lost).
        if (
            obj is not None
            and obj.status not in RESCHEDULABLE
            and not posted_while_editable(request)
        ):
            return False
        return super().has_change_permission(request, obj)

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


class OutboxViewPermission:
    """An inline of the outbox's page: whoever may see the outbox sees it."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        opts = OutboxEmail._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class OutboxAttemptInline(OutboxViewPermission, ReminderAttemptInline):
    pass


@admin.register(OutboxEmail)
class OutboxEmailAdmin(EmailActions, admin.ModelAdmin):
    """Every email of the site, whatever sent it: its status, attempts and last error.

    Read-only: the pipeline writes these rows. The body of an account email is never
    shown (it holds a password-reset or confirmation link that signs in whoever opens
    it); its headers are. Send again and cancel act as on reminders.
    """

    list_display = ("email", "kind", "subject", "status", "attempts", "sent_at", "created")
    list_filter = ("kind", "status", "created")
    search_fields = ("email", "subject")
    date_hierarchy = "created"
    ordering = ("-created",)
    fields = ("kind", "email", "subject", "headers", *DELIVERY_FIELDS)
    readonly_fields = fields
    actions = ("send_now", "cancel", "send_again", "mark_sent")
    inlines = (OutboxAttemptInline,)

    @admin.display(description=_("headers"))
    def headers(self, email: OutboxEmail) -> str:
        return format_html("<pre>{}</pre>", stored_headers(email))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def stored_headers(email: Reminder) -> str:
    """The headers of a stored email (a reminder's are its fields): what staff may read."""
    if email.raw_message is None:
        return f"Subject: {email.subject}\nTo: {email.email}\nMessage-ID: {email.message_id}"
    raw = bytes(email.raw_message)
    return raw.partition(b"\r\n\r\n")[0].decode("ascii", errors="replace").replace("\r\n", "\n")


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = ("week", "posts", "recipients", "started_at", "finished_at")
    date_hierarchy = "week"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# The suppression list and the providers' events; each email's events on its page.
from .admin_suppression import MailEventInline  # noqa: E402

ReminderAdmin.inlines = (*ReminderAdmin.inlines, MailEventInline)


class OutboxEventInline(OutboxViewPermission, MailEventInline):
    pass


OutboxEmailAdmin.inlines = (*OutboxEmailAdmin.inlines, OutboxEventInline)
