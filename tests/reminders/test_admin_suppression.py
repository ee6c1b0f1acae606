"""Staff's suppression list and the providers' events in the admin
(reminders/admin_suppression.py): add, search, filter, delete; events read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from reminders.models import MailEvent, Suppression, SuppressionReason, SuppressionScope
from reminders.suppression import suppress, suppressed
from tests.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:reminders_suppression_changelist")
ADD = reverse("admin:reminders_suppression_add")
EVENTS = reverse("admin:reminders_mailevent_changelist")


def staff(*codenames: str):
    user = UserFactory(username="alice", is_staff=True, roles=[])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_staff_add_an_address_with_reason_manual_and_their_name(admin_client, admin_user) -> None:
    answer = admin_client.post(ADD, {"address": "Bob@Example.COM", "scope": "all"})

    assert answer.status_code == 302
    entry = Suppression.objects.get()
    assert (entry.address, entry.scope, entry.reason, entry.source, entry.created_by) == (
        "Bob@example.com",
        SuppressionScope.ALL,
        SuppressionReason.MANUAL,
        f"staff: {admin_user.username}",
        admin_user,
    )


def test_an_address_already_listed_is_refused_with_a_reason(admin_client) -> None:
    suppress("bob@example.com", reason=SuppressionReason.HARD_BOUNCE, source="SMTP: 550")

    answer = admin_client.post(ADD, {"address": "BOB@example.com", "scope": "all"})

    assert answer.status_code == 200
    assert "This address is already on the list." in answer.content.decode()
    assert Suppression.objects.count() == 1


def test_search_by_address_and_filter_by_reason_and_scope(admin_client) -> None:
    suppress("gone@example.com", reason=SuppressionReason.HARD_BOUNCE, source="SMTP: 550")
    suppress("angry@example.com", reason=SuppressionReason.COMPLAINT, source="Postmark")
    suppress(
        "quiet@example.com",
        scope=SuppressionScope.DIGEST,
        reason=SuppressionReason.UNSUBSCRIBED,
        source="one-click",
    )

    def listed(query: str) -> list[str]:
        content = admin_client.get(LIST + query).content.decode()
        names = ("gone@example.com", "angry@example.com", "quiet@example.com")
        return [name for name in names if name in content]

    assert listed("?q=gone") == ["gone@example.com"]
    assert listed("?reason=complaint") == ["angry@example.com"]
    assert listed("?scope=digest") == ["quiet@example.com"]


def test_deleting_an_entry_mails_the_address_again(admin_client) -> None:
    entry = suppress("bob@example.com", reason=SuppressionReason.HARD_BOUNCE, source="SMTP: 550")
    url = reverse("admin:reminders_suppression_delete", args=[entry.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert suppressed(["bob@example.com"], digest=True) == {}


def test_an_entry_is_read_only(admin_client) -> None:
    entry = suppress("bob@example.com", reason=SuppressionReason.HARD_BOUNCE, source="SMTP: 550")
    url = reverse("admin:reminders_suppression_change", args=[entry.pk])

    content = admin_client.get(url).content.decode()
    refused = admin_client.post(url, {"address": "other@example.com", "scope": "all"})

    assert "SMTP: 550" in content and 'name="_save"' not in content
    assert refused.status_code == 403
    assert Suppression.objects.get().address == "bob@example.com"


def test_each_action_needs_its_model_permission(client) -> None:
    client.force_login(staff("view_suppression"))
    suppress("bob@example.com", reason=SuppressionReason.HARD_BOUNCE, source="SMTP: 550")
    entry = Suppression.objects.get()

    assert client.get(LIST).status_code == 200
    assert client.post(ADD, {"address": "x@example.com", "scope": "all"}).status_code == 403
    delete = reverse("admin:reminders_suppression_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Suppression.objects.count() == 1


def test_staff_allowed_to_add_may_add(client) -> None:
    client.force_login(staff("view_suppression", "add_suppression"))

    assert client.post(ADD, {"address": "x@example.com", "scope": "digest"}).status_code == 302
    assert Suppression.objects.get().source == "staff: alice"


def event_for(reminder, **fields) -> MailEvent:
    defaults = {
        "provider": "Postmark",
        "event_type": "bounced",
        "recipient": reminder.email,
        "key": f"k{MailEvent.objects.count()}",
        "reminder": reminder,
        "payload": {"RecordType": "Bounce", "Type": "HardBounce"},
    }
    return MailEvent.objects.create(**{**defaults, **fields})


def test_events_are_listed_with_their_email_and_cannot_be_added_or_changed(admin_client) -> None:
    reminder = ReminderFactory(email="jane@example.com", date=timezone.now() + timedelta(days=1))
    event = event_for(reminder)
    change = reverse("admin:reminders_mailevent_change", args=[event.pk])

    listing = admin_client.get(EVENTS).content.decode()
    page = admin_client.get(change).content.decode()

    assert "Postmark" in listing and "jane@example.com" in listing
    assert reverse("admin:reminders_reminder_change", args=[reminder.pk]) in listing
    assert "HardBounce" in page and 'name="_save"' not in page
    assert admin_client.get(reverse("admin:reminders_mailevent_add")).status_code == 403
    assert admin_client.post(change, {"recipient": "x@example.com"}).status_code == 403


def test_an_emails_page_shows_what_the_providers_said_of_it(admin_client) -> None:
    reminder = ReminderFactory(email="jane@example.com", date=timezone.now() + timedelta(days=1))
    event_for(reminder, event_type="complained", reject_reason="spam")

    content = admin_client.get(
        reverse("admin:reminders_reminder_change", args=[reminder.pk])
    ).content.decode()

    assert "provider events (newest first)" in content.lower() and "complained" in content


def test_the_lists_events_link_shows_that_addresses_events(admin_client) -> None:
    reminder = ReminderFactory(email="jane@example.com", date=timezone.now() + timedelta(days=1))
    event_for(reminder)
    event_for(reminder, recipient="other@example.com")
    entry = suppress("jane@example.com", reason=SuppressionReason.HARD_BOUNCE, source="Postmark")

    listing = admin_client.get(LIST).content.decode()
    events = admin_client.get(EVENTS + "?recipient=jane%40example.com").content.decode()

    assert "recipient=jane%40example.com" in listing and entry.address in listing
    assert "jane@example.com" in events and "other@example.com" not in events


@pytest.mark.parametrize(
    "form",
    [
        {"address": "x" * 300 + "@example.com", "scope": "all"},
        {"address": "bob\x00@example.com", "scope": "all"},
        {"address": "bob@example.com\r\nBcc: eve@example.com", "scope": "all"},
        {"address": "not an address", "scope": "all"},
        {"address": "bob@example.com", "scope": "everything"},
        {},
    ],
    ids=["huge", "nul", "header injection", "not an address", "unknown scope", "empty"],
)
def test_a_hostile_address_is_a_form_error_and_stores_nothing(admin_client, form) -> None:
    answer = admin_client.post(ADD, form)

    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    "query",
    ["?q=%00%ff" + "x" * 5000, "?scope__exact=nope", "?recipient=%00", "?created__gte=yesterday"],
)
def test_hostile_list_queries_never_answer_5xx(admin_client, query) -> None:
    for url in (LIST, EVENTS, reverse("admin:reminders_outboxemail_changelist")):
        assert admin_client.get(url + query).status_code < 500, url + query
