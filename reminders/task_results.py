"""The Celery task results admin, readable by staff (django-celery-results' ``TaskResult``).

Re-registered with columns that fit 1280 px: the task's short name, the reminder(s)
or email it concerned (the ids parsed from its arguments, linked to the reminders
admin), its outcome in words, state, worker and time. The reminders admin links
each reminder here (``task_results_url``).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_celery_results.admin import TaskResultAdmin as LibraryTaskResultAdmin
from django_celery_results.models import TaskResult

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A batch lists this many of its reminders in the column; the link shows them all.
SHOWN_IDS = 3


def reminder_ids(task_args: str | None) -> list[str]:
    """The reminder ids a task's stored arguments name (``remind``: one,
    ``remind_batch``: a list), in order, each once."""
    return list(dict.fromkeys(UUID.findall(task_args or "")))


def task_results_url(reminder_id: str) -> str:
    """The task results that carried this reminder."""
    url = reverse("admin:django_celery_results_taskresult_changelist")
    return f"{url}?{urlencode({'task_args__contains': str(reminder_id)})}"


def outcome_text(result: TaskResult) -> str:
    """What the run did, in words, from its JSON result (or its exception)."""
    try:
        value = json.loads(result.result) if result.result else None
    except (TypeError, ValueError):
        value = result.result
    if result.status in ("FAILURE", "RETRY") and isinstance(value, dict):
        return f"{value.get('exc_type', 'error')}: {value.get('exc_message', '')}"
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    if "status" in value:  # remind: {"reminder", "status", "error"?}
        return " ".join(filter(None, [value["status"], value.get("error", "")]))
    if "claimed" in value:  # remind_batch
        parts = [f"sent {value.get('sent', 0)} of {value.get('given', 0)}"]
        for name in ("failed", "retry", "unknown"):
            if value.get(name):
                parts.append(f"{name} {len(value[name])}")
        for name in ("skipped", "released"):
            if value.get(name):
                parts.append(f"{name} {value[name]}")
        return ", ".join(parts)
    # dispatch_due, digest and the rest: their report's non-zero counts.
    return ", ".join(f"{key} {val}" for key, val in value.items() if val not in (0, "", None))


admin.site.unregister(TaskResult)


@admin.register(TaskResult)
class TaskResultAdmin(LibraryTaskResultAdmin):
    list_display = ("date_done", "task", "concerns", "status", "outcome", "short_worker")
    list_display_links = ("date_done",)
    list_filter = ("status", "task_name", "date_done")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[TaskResult]:
        # The columns need no traceback or meta: a page stays light.
        return super().get_queryset(request).defer("traceback", "meta")

    @admin.display(description=_("task"), ordering="task_name")
    def task(self, result: TaskResult) -> str:
        return (result.task_name or "").removeprefix("reminders.tasks.")

    @admin.display(description=_("concerns"))
    def concerns(self, result: TaskResult) -> str:
        ids = reminder_ids(result.task_args)
        if not ids:
            return Truncator(result.task_args or "").chars(40)
        changelist = reverse("admin:reminders_reminder_changelist")
        if len(ids) == 1:
            url = reverse("admin:reminders_reminder_change", args=[ids[0]])
            return format_html('<a href="{}">reminder {}</a>', url, ids[0][:8])
        shown = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:reminders_reminder_change", args=[pk]), pk[:8])
                for pk in ids[:SHOWN_IDS]
            ),
        )
        every = f"{changelist}?{urlencode({'id__in': ','.join(ids)})}"
        return format_html('<a href="{}">{} reminders</a>: {}…', every, len(ids), shown)

    @admin.display(description=_("outcome"))
    def outcome(self, result: TaskResult) -> str:
        return Truncator(outcome_text(result)).chars(80)

    @admin.display(description=_("worker"), ordering="worker")
    def short_worker(self, result: TaskResult) -> str:
        return Truncator(result.worker or "").chars(24)
