"""/api/reminders/: staff schedule, inspect, send now and cancel reminders.

``staff`` here is a staff user with every reminder permission (an operator); who may
do what is in ``test_reminder_permissions.py``.

The API calls the reminders services the admin calls; the worker tests prove the
email then goes out through the real pipeline (worker, broker, SMTP server).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reminders.models import Reminder, ReminderStatus
from tests.reminders.factories import ReminderFactory
from tests.support.polling import wait_until

from .conftest import client_for, grant_reminder_permissions

pytestmark = pytest.mark.django_db

LIST = "/api/reminders/"


def detail(reminder) -> str:
    return f"/api/reminders/{reminder.pk}/"


@pytest.fixture
def operator(users):
    """Staff with every reminder permission."""
    return grant_reminder_permissions(users["staff"])


@pytest.fixture
def staff(operator):
    return client_for(operator)


def later(**delta) -> timezone.datetime:
    return timezone.now() + timedelta(**(delta or {"days": 7}))


# READING
# ------------------------------------------------------------------------------
def test_staff_list_reminders_latest_date_first(staff) -> None:
    soon = ReminderFactory(date=later(days=1))
    latest = ReminderFactory(date=later(days=9))

    response = staff.get(LIST)

    assert response.status_code == 200
    assert [r["id"] for r in response.data["results"]] == [str(latest.pk), str(soon.pk)]
    item = response.data["results"][0]
    assert item["email"] == latest.email
    assert item["status"] == "pending"
    assert item["attempts"] == 0
    assert item["url"] == f"http://testserver/api/reminders/{latest.pk}/"


def test_reminders_filter_by_status_and_email(staff) -> None:
    pending = ReminderFactory(email="Ada@Example.com", date=later())
    cancelled = ReminderFactory(email="ada@example.com", date=later())
    Reminder.objects.filter(pk=cancelled.pk).update(status=ReminderStatus.CANCELLED)
    ReminderFactory(email="bob@example.com", date=later())

    by_email = staff.get(LIST, {"email": "ada@example.com"}).data["results"]
    both = staff.get(LIST, {"email": "ADA@example.com", "status": "pending"}).data["results"]

    assert {r["id"] for r in by_email} == {str(pending.pk), str(cancelled.pk)}
    assert [r["id"] for r in both] == [str(pending.pk)]


def test_an_unknown_status_filter_is_400(staff) -> None:
    response = staff.get(LIST, {"status": "lost"})

    assert response.status_code == 400
    assert "lost is not one of the available choices" in str(response.data["status"])


def test_reminder_list_query_count_is_constant(staff, users, django_assert_num_queries) -> None:
    """The users of welcome reminders are joined, not fetched one per reminder."""
    from tests.factories import UserFactory

    for n in range(6):
        ReminderFactory(date=later(), user=UserFactory(username=f"reader{n}"))

    # The token's user, their permissions and their groups' (has_perm, read once per
    # request), the COUNT, the page with its users joined.
    with django_assert_num_queries(5):
        response = staff.get(LIST)

    assert [r["user"] for r in response.data["results"]].count(None) == 0


def test_staff_read_one_reminder(staff) -> None:
    reminder = ReminderFactory(date=later(), subject="Hello", text="Body")

    response = staff.get(detail(reminder))

    assert response.status_code == 200
    assert response.data["subject"] == "Hello"
    assert response.data["text"] == "Body"
    assert parse_datetime(response.data["date"]) == reminder.date


@pytest.mark.parametrize("pk", [uuid.uuid4(), "not-a-uuid", "1"])
def test_an_unknown_or_malformed_id_is_404(staff, pk) -> None:
    response = staff.get(f"/api/reminders/{pk}/")

    assert response.status_code == 404


# CREATING
# ------------------------------------------------------------------------------
def test_staff_create_a_reminder_through_the_service(staff, django_capture_on_commit_callbacks):
    date = later(hours=2)

    with django_capture_on_commit_callbacks() as scheduled:
        response = staff.post(
            LIST, {"email": "reader@example.com", "text": "Don't forget!", "date": date}
        )

    assert response.status_code == 201, response.data
    reminder = Reminder.objects.get(pk=response.data["id"])
    assert reminder.email == "reader@example.com"
    assert reminder.subject == "Welcome!"
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.next_attempt_at == date
    assert response["Location"] == f"http://testserver/api/reminders/{reminder.pk}/"
    # The post_save receiver asked for the email to be scheduled after the commit.
    assert len(scheduled) == 1


def test_delivery_fields_cannot_be_set(staff) -> None:
    response = staff.post(
        LIST,
        {
            "email": "reader@example.com",
            "text": "x",
            "date": later(),
            "status": "sent",
            "attempts": 9,
            "sent_at": timezone.now(),
            "last_error": "forged",
            "id": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 201
    reminder = Reminder.objects.get(pk=response.data["id"])
    assert (reminder.status, reminder.attempts, reminder.sent_at, reminder.last_error) == (
        "pending",
        0,
        None,
        "",
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "x", "date": "2030-01-01T10:00:00Z"}, "email", "This field is required."),
        (
            {"email": "not an email", "text": "x", "date": "2030-01-01T10:00:00Z"},
            "email",
            "Enter a valid email address.",
        ),
        (
            {"email": "a@example.com", "text": "", "date": "2030-01-01T10:00:00Z"},
            "text",
            "This field may not be blank.",
        ),
        (
            {"email": "a@example.com", "text": "x" * 10_001, "date": "2030-01-01T10:00:00Z"},
            "text",
            "no more than 10000 characters",
        ),
        ({"email": "a@example.com", "text": "x", "date": "tomorrow"}, "date", "wrong format"),
        ({"email": "a@example.com", "text": "x"}, "date", "This field is required."),
        (
            {"email": "a@example.com", "text": "x", "date": "2030-02-30T10:00:00Z"},
            "date",
            "wrong format",
        ),
        (
            {"email": "a@example.com", "text": "x", "date": "2030-01-01", "subject": "s" * 201},
            "subject",
            "no more than 200 characters",
        ),
    ],
)
def test_bad_input_is_400_with_field_errors_and_creates_nothing(staff, body, field, message):
    response = staff.post(LIST, body)

    assert response.status_code == 400, response.data
    assert message in str(response.data[field])
    assert not Reminder.objects.exists()


# ACTIONS
# ------------------------------------------------------------------------------
def test_send_now_keeps_the_date_and_moves_the_next_attempt_to_now(staff) -> None:
    # Issue #15 changed this: "send now" used to overwrite the date with the time of sending.
    reminder = ReminderFactory(date=later(days=30))
    date = reminder.date

    response = staff.post(f"{detail(reminder)}send-now/")

    assert response.status_code == 200
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.date == date
    assert abs(reminder.next_attempt_at - timezone.now()) < timedelta(seconds=30)
    assert parse_datetime(response.data["date"]) == reminder.date


def test_cancel_a_pending_reminder(staff) -> None:
    reminder = ReminderFactory(date=later())

    response = staff.post(f"{detail(reminder)}cancel/")

    assert response.status_code == 200
    assert response.data["status"] == "cancelled"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "action"),
    [("cancelled", "cancel"), ("sent", "cancel"), ("sent", "send-now"), ("pending", "send-again")],
)
def test_an_action_the_status_forbids_is_409(staff, status, action) -> None:
    reminder = ReminderFactory(date=later())
    Reminder.objects.filter(pk=reminder.pk).update(status=status)

    response = staff.post(f"{detail(reminder)}{action}/")

    assert response.status_code == 409
    assert "reminder cannot be" in response.data["detail"]
    reminder.refresh_from_db()
    assert reminder.status == status


def test_send_again_a_sent_reminder(staff) -> None:
    reminder = ReminderFactory(date=timezone.now() - timedelta(days=1))
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENT, sent_at=timezone.now(), attempts=1
    )

    response = staff.post(f"{detail(reminder)}send-again/")

    assert response.status_code == 200
    assert response.data["status"] == "pending"
    assert response.data["attempts"] == 0


def test_actions_on_an_unknown_reminder_are_404(staff) -> None:
    for action in ("send-now", "cancel", "send-again"):
        assert staff.post(f"/api/reminders/{uuid.uuid4()}/{action}/").status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_reminders_are_not_edited_or_deleted_over_the_api(staff, method) -> None:
    reminder = ReminderFactory(date=later())

    response = getattr(staff, method)(detail(reminder), {"text": "changed"})

    assert response.status_code == 405
    assert Reminder.objects.get(pk=reminder.pk).text == reminder.text


def test_the_actions_need_post(staff) -> None:
    reminder = ReminderFactory(date=later())

    assert staff.get(f"{detail(reminder)}send-now/").status_code == 405
    assert staff.get(f"{detail(reminder)}cancel/").status_code == 405


# THE PIPELINE, FOR REAL
# ------------------------------------------------------------------------------
@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_a_reminder_created_over_the_api_is_emailed_by_the_worker(
    celery_worker, smtp_server, operator
) -> None:
    response = client_for(operator).post(
        LIST,
        {
            "email": "api-reader@example.com",
            "subject": "From the API",
            "text": "Scheduled over JSON.",
            "date": timezone.now(),
        },
    )
    assert response.status_code == 201

    messages = smtp_server.recorder.wait_for(1)

    assert [m["To"] for m in messages] == ["api-reader@example.com"]
    assert messages[0]["Subject"] == "From the API"
    assert "Scheduled over JSON." in messages[0].get_body(("plain",)).get_content()
    reminder = wait_until(
        lambda: Reminder.objects.filter(pk=response.data["id"], status="sent").first()
    )
    assert reminder.attempts == 1


@pytest.mark.worker
@pytest.mark.usefixtures("fast_pipeline")
def test_send_now_over_the_api_emails_a_far_future_reminder(
    celery_worker, smtp_server, operator
) -> None:
    reminder = ReminderFactory(email="someday@example.com", date=later(days=30))

    response = client_for(operator).post(f"{detail(reminder)}send-now/")
    assert response.status_code == 200

    messages = smtp_server.recorder.wait_for(1)

    assert [m["To"] for m in messages] == ["someday@example.com"]
    wait_until(lambda: Reminder.objects.filter(pk=reminder.pk, status="sent").exists())
