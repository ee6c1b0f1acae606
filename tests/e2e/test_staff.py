"""Staff in the browser: the admin, a new user's welcome reminder, send now, send again.

The reminders are the real ones registration makes (``user_onboard``), held an hour
ahead (``REMINDERS_WELCOME_DELAY``) so that staff find them pending; a real worker sends
them to an aiosmtpd server, which can refuse a recipient.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult
from playwright.sync_api import Page, expect

from blog.services import user_onboard
from reminders.models import DEFAULT_SUBJECT, Reminder, ReminderStatus, Suppression
from tests.e2e.conftest import PageChecker, worker_is_quiet
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e

REMINDERS = "/admin/reminders/reminder/"
SUPPRESSIONS = "/admin/reminders/suppression/"


@pytest.fixture
def staff_user():
    return UserFactory(username="staffer", is_staff=True, is_superuser=True)


@pytest.fixture
def register(settings):
    """Register a user as signup does; their welcome reminder waits an hour."""
    settings.REMINDERS_WELCOME_DELAY = 3600

    def register(username: str) -> Reminder:
        user = UserFactory(username=username)
        user_onboard(user=user)
        reminder = Reminder.objects.get(user=user)
        assert reminder.status == ReminderStatus.PENDING and reminder.enqueued_at is None
        return reminder

    return register


def admin_login(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username:").fill(username)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Log in").click()


def run_action(page: Page, email: str, action: str) -> None:
    """Tick the reminder of ``email`` in the list and run ``action`` on it."""
    page.goto(f"{REMINDERS}?q={email}")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def welcome_emails(smtp_server, email: str) -> list:
    return [m for m in smtp_server.recorder.to(email) if m["Subject"] == DEFAULT_SUBJECT]


def wait_for_status(reminder: Reminder, status: str) -> None:
    wait_until(
        lambda: Reminder.objects.filter(pk=reminder.pk, status=status).exists(),
        message=f"reminder {reminder.email} to be {status}",
    )


def expect_sent_once(page: Page, reminder: Reminder, celery_worker, smtp_server) -> None:
    """The reminder is sent, the worker has nothing left that could send it again, its
    address got exactly one welcome email, and the admin's list says "sent"."""
    wait_for_status(reminder, ReminderStatus.SENT)
    wait_until(
        lambda: worker_is_quiet(celery_worker), message="the worker to have nothing left to run"
    )
    assert len(welcome_emails(smtp_server, reminder.email)) == 1
    local_part = reminder.email.split("@")[0]
    page.goto(f"{REMINDERS}?q={local_part}@")
    expect(page.get_by_role("row").filter(has_text=reminder.email)).to_contain_text("sent")


def test_staff_logs_into_the_admin(page: Page, check_page: PageChecker, staff_user) -> None:
    page.goto("/admin/")
    expect(page).to_have_url("/admin/login/?next=/admin/")
    # Django's own admin login template has no <h1> (its header is a <div>).
    check_page(page, "admin login", h1_count=0)

    admin_login(page, "staffer", "wrong password")
    expect(page.locator(".errornote")).to_be_visible()

    admin_login(page, "staffer", DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts, people and email")
    expect(
        page.locator("#reminders-reminder").get_by_role("link", name="Reminders")
    ).to_be_visible()
    check_page(page, "admin index")


@pytest.mark.worker
def test_staff_reschedules_and_sends_now_and_the_email_arrives_once(
    page: Page, check_page: PageChecker, staff_user, register, celery_worker, smtp_server
) -> None:
    reminder = register("newcomer")
    admin_login(page, "staffer", DEFAULT_PASSWORD)

    # Finds the new user's reminder: pending, an hour ahead.
    page.locator("#reminders-reminder").get_by_role("link", name="Reminders").click()
    page.get_by_role("searchbox").fill("newcomer@")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="newcomer@example.com")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("pending")
    check_page(page, "reminders list")

    # Moves its date to a minute ago and saves.
    row.get_by_role("link", name="newcomer@example.com").click()
    check_page(page, "reminder change form")
    minute_ago = timezone.localtime() - timedelta(minutes=1)
    page.locator("#id_date_0").fill(minute_ago.strftime("%Y-%m-%d"))
    page.locator("#id_date_1").fill(minute_ago.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # "Send now". Saving a past date queued it already, so whether the worker has sent
    # it by now (the action is then refused: use "send again") or not (the action
    # queues it once more), one email goes out.
    run_action(page, "newcomer@example.com", "Send now")
    expect(page.locator(".messagelist")).to_contain_text(
        re.compile(r"1 reminder queued to send now|Not changed: .*use send again")
    )
    expect_sent_once(page, reminder, celery_worker, smtp_server)
    check_page(page, "reminder sent")

    # The task's outcome is listed in the task results admin.
    page.goto(f"/admin/django_celery_results/taskresult/?q={reminder.pk}")
    # Issue #15: the row names the task, the reminder (linked) and the outcome...
    results = page.get_by_role("row").filter(has_text=f"reminder {str(reminder.pk)[:8]}")
    expect(results.filter(has_text="SUCCESS").first).to_be_visible()
    expect(results.filter(has_text="SUCCESS").first).to_contain_text("remind")
    expect(results.filter(has_text="SUCCESS").first.locator(".field-outcome")).to_have_text("sent")
    # ...and every column fits a 1280-pixel screen (the state and worker were cut off).
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    expect(page.locator("th.column-short_worker")).to_be_in_viewport()
    check_page(page, "task results")
    results.filter(has_text="SUCCESS").first.get_by_role("link").first.click()
    expect(page.locator(".field-result")).to_contain_text('"status": "sent"')
    check_page(page, "task result")
    assert TaskResult.objects.filter(
        task_name="reminders.tasks.remind", task_args__contains=str(reminder.pk), status="SUCCESS"
    ).exists()


@pytest.mark.worker
def test_a_refused_reminder_shows_its_error_and_send_again_delivers_it(
    page: Page, check_page: PageChecker, staff_user, register, celery_worker, smtp_server
) -> None:
    reminder = register("bounced")
    smtp_server.recorder.refuse["bounced@example.com"] = "550 5.1.1 No such mailbox here"
    admin_login(page, "staffer", DEFAULT_PASSWORD)

    run_action(page, "bounced@example.com", "Send now")
    expect(page.locator(".messagelist")).to_contain_text("1 reminder queued to send now")
    wait_for_status(reminder, ReminderStatus.FAILED)

    # The list and the reminder show why.
    page.goto(f"{REMINDERS}?status__exact=failed")
    row = page.get_by_role("row").filter(has_text="bounced@example.com")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("550")
    check_page(page, "failed reminder in the list")
    row.get_by_role("link", name="bounced@example.com").click()
    expect(page.locator(".field-last_error")).to_contain_text("550 5.1.1 No such mailbox here")
    check_page(page, "failed reminder")
    assert smtp_server.recorder.to("bounced@example.com") == []

    # The 550 5.1.1 put the address on the suppression list (issue #14): staff find it
    # there with the server's reply, and take it off once the address works again.
    page.goto(f"{SUPPRESSIONS}?q=bounced%40example.com")
    entry = page.get_by_role("row").filter(has_text="bounced@example.com")
    expect(entry).to_contain_text("hard bounce")
    expect(entry).to_contain_text("550 5.1.1")
    check_page(page, "suppression list")
    entry.get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Delete selected suppression list")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("button", name=re.compile(r"^Yes, I.m sure$")).click()
    expect(page.locator(".messagelist")).to_contain_text("Successfully deleted 1")
    assert not Suppression.objects.exists()

    # The server accepts the address again; "send again" delivers it, once.
    del smtp_server.recorder.refuse["bounced@example.com"]
    run_action(page, "bounced@example.com", "Send again")
    # Issue #15: a confirmation page names the recipient before anything is sent.
    expect(page.locator("#recipients")).to_contain_text("bounced@example.com")
    check_page(page, "send again confirmation")
    assert smtp_server.recorder.to("bounced@example.com") == []
    page.get_by_role("button", name="Yes, send again").click()
    expect(page.locator(".messagelist")).to_contain_text("1 reminder queued to send again")
    expect_sent_once(page, reminder, celery_worker, smtp_server)
    check_page(page, "reminder sent again")
