"""Staff's view of the suppression list and of the providers' events.

An entry is added with the reason "manual" and the staff member as its source, and
deleted to mail the address again; it is not edited (delete and add instead). The
providers' events are read-only: written by the webhooks (``mail_events.py``). Each
action needs Django's model permission of its own (add, view, delete).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .addresses import address_key
from .models import MailEvent, Reminder, Suppression, SuppressionReason
from .suppression import suppress


class SuppressionAddForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ("address", "scope")

    address = forms.EmailField(label=_("address"), max_length=254)

    def clean(self):
        cleaned = super().clean()
        address, scope = cleaned.get("address"), cleaned.get("scope")
        entries = Suppression.objects.filter(key=address_key(address or ""), scope=scope)
        if address and scope and entries.exists():
            raise forms.ValidationError(_("This address is already on the list."))
        return cleaned


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("address", "scope", "reason", "short_source", "created", "events")
    list_filter = ("reason", "scope")
    search_fields = ("address",)
    date_hierarchy = "created"
    fields = ("address", "scope", "reason", "source", "created_by", "created")
    readonly_fields = fields

    @admin.display(description=_("source"))
    def short_source(self, entry: Suppression) -> str:
        return Truncator(entry.source).chars(80)

    @admin.display(description=_("provider events"))
    def events(self, entry: Suppression) -> str:
        url = reverse("admin:reminders_mailevent_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"recipient": entry.address}), _("Events")
        )

    def get_form(self, request: HttpRequest, obj: Suppression | None = None, **kwargs):
        if obj is None:
            kwargs["form"] = SuppressionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Suppression | None = None):
        return ("address", "scope") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Suppression | None = None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Suppression, form, change: bool) -> None:
        entry = suppress(
            form.cleaned_data["address"],
            scope=form.cleaned_data["scope"],
            reason=SuppressionReason.MANUAL,
            source=f"staff: {request.user.get_username()}",
            created_by=request.user,
        )
        obj.pk = entry.pk  # the admin logs and redirects with obj
        obj.refresh_from_db()


class EventReadOnly:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(MailEvent)
class MailEventAdmin(EventReadOnly, admin.ModelAdmin):
    list_display = (
        "received_at",
        "provider",
        "event_type",
        "recipient",
        "email",
        "reject_reason",
        "suppressed",
    )
    list_filter = ("provider", "event_type", "suppressed")
    search_fields = ("recipient", "message_id", "event_id")
    date_hierarchy = "received_at"
    list_select_related = ("reminder",)
    readonly_fields = (
        "provider",
        "event_type",
        "recipient",
        "email",
        "message_id",
        "provider_message_id",
        "event_id",
        "timestamp",
        "received_at",
        "description",
        "reject_reason",
        "mta_response",
        "suppressed",
        "raw_payload",
    )
    fields = readonly_fields

    @admin.display(description=_("email"))
    def email(self, event: MailEvent) -> str:
        if event.reminder is None:
            return "-"
        url = reverse("admin:reminders_reminder_change", args=[event.reminder.pk])
        return format_html('<a href="{}">{}</a>', url, Truncator(str(event.reminder)).chars(60))

    @admin.display(description=_("payload"))
    def raw_payload(self, event: MailEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))


class MailEventInline(EventReadOnly, admin.TabularInline):
    """The providers' events about one email, on its reminder's page."""

    model = MailEvent
    fields = ("received_at", "provider", "event_type", "recipient", "reject_reason", "suppressed")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("provider events (newest first)")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may see the email sees what the providers said of it.
        opts = Reminder._meta
        return request.user.has_perm(f"reminders.view_{opts.model_name}") or (
            request.user.has_perm(f"reminders.change_{opts.model_name}")
        )
