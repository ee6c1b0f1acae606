"""The admin's reminder form: an edit is saved only onto the state it was made on.

The change page carries the reminder's state when it was opened (``seen``: status and
last update) in a hidden field. On save the row is read again under a lock (the
admin's view runs in a transaction, so a worker's claim waits for it), and an edit
made while a worker claimed, sent, failed or retried the reminder is refused with the
reason, the form shown again with every change kept (docs/reminders.md, "Operating
it"). Before issue #19 such an edit was dropped and reported as saved.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Reminder, ReminderStatus
from .services.scheduling import RESCHEDULABLE

SEEN_FIELD = "seen"


def state_token(reminder: Reminder) -> str:
    """``status|updated``: changes whenever a worker or staff wrote the row."""
    return f"{reminder.status}|{reminder.updated.isoformat()}"


def posted_while_editable(request: HttpRequest) -> bool:
    """Whether this POST comes from a change page opened while the reminder could be
    edited (its token's status); the form then decides, under the row lock."""
    if request.method != "POST":
        return False
    return request.POST.get(SEEN_FIELD, "").partition("|")[0] in RESCHEDULABLE


class ReminderAdminForm(forms.ModelForm):
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Reminder
        # The content the admin edits (its fieldsets); the rest is the pipeline's.
        fields = ("email", "subject", "text", "date", "user")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields[SEEN_FIELD].initial = state_token(self.instance)

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.instance._state.adding:
            return cleaned
        current = Reminder.objects.select_for_update().filter(pk=self.instance.pk).first()
        if current is None:
            raise ValidationError(_("This reminder was deleted meanwhile; nothing was saved."))
        seen = cleaned.get(SEEN_FIELD) or ""
        token = state_token(current)
        if seen == token and current.status in RESCHEDULABLE:
            return cleaned
        seen_status = seen.partition("|")[0]
        seen_label = dict(ReminderStatus.choices).get(seen_status, seen_status or "?")
        if current.status in RESCHEDULABLE:
            # Saving again now applies the changes onto what the reminder is now.
            data = self.data.copy()
            data[self.add_prefix(SEEN_FIELD)] = token
            self.data = data
            then = _("Check its delivery state below, then save again if they still apply.")
        else:
            then = _("A reminder in this state cannot be edited; copy them if you need them.")
        raise ValidationError(
            _(
                "This reminder changed while you were editing it: it was %(seen)s when the "
                "page was opened and is %(now)s now (a worker has been at it). Nothing was "
                "saved; your changes are still in the form. %(then)s"
            ),
            code="changed",
            params={"seen": seen_label, "now": current.get_status_display(), "then": then},
        )
