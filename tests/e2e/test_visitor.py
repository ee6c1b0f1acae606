"""A visitor in the browser: reads, registers (CAPTCHA), gets the welcome email, comments;
confirms their address through the link in the confirmation email the worker sent.

The app is the live server, a real Celery worker and an aiosmtpd server; the CAPTCHA is
answered as a person would, from the letters the store holds for the challenge the page
shows.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from captcha.models import CaptchaStore
from playwright.sync_api import Page, expect

from blog.models import User
from reminders.models import DEFAULT_SUBJECT, MailKind, Reminder, ReminderStatus
from tests.e2e.conftest import PageChecker, log_in, log_out_button, worker_is_quiet
from tests.factories import CommentFactory, PostFactory, TagFactory
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e

USERNAME = "ada"
EMAIL = "ada@example.com"
PASSWORD = "Analytical-Engine-1843"
CONFIRMATION = "[Lightblog] Please Confirm Your Email Address"  # allauth's, in English


@pytest.fixture
def post():
    """A published post with a tag and one comment, by someone else."""
    post = PostFactory(
        title="Notes on the Analytical Engine",
        text="The engine *weaves* algebraic patterns.\n\n- cards\n- mill\n- store",
        tags=[TagFactory(title="History")],
    )
    CommentFactory(post=post, name="charles", text="A first comment.")
    return post


def captcha_answer(page: Page) -> str:
    """The letters of the CAPTCHA image on the page (the store behind the hidden key)."""
    hashkey = page.locator('input[name="captcha_0"]').input_value()
    return CaptchaStore.objects.get(hashkey=hashkey).response


def fill_signup(page: Page, captcha: str) -> None:
    page.get_by_label("Username:").fill(USERNAME)
    page.get_by_label("Email:").fill(EMAIL)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_label("Type the letters in the picture:").fill(captcha)


@pytest.mark.worker
def test_visitor_reads_registers_gets_one_welcome_email_and_comments(
    page: Page, check_page: PageChecker, post, celery_worker, smtp_server
) -> None:
    # Reads.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest posts")
    check_page(page, "home")
    page.get_by_role("main").get_by_role("link", name=post.title, exact=True).click()
    expect(page).to_have_url(f"/post/{post.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(post.title)
    expect(page.locator(".prose em")).to_have_text("weaves")
    expect(page.locator(".prose li")).to_have_text(["cards", "mill", "store"])
    expect(page.locator(".comment")).to_contain_text("A first comment.")
    check_page(page, "post, anonymous")

    # Registers through the signup form, CAPTCHA answered.
    page.get_by_role("link", name="Sign up").first.click()
    expect(page).to_have_url("/accounts/signup/")
    expect(page.locator("img.captcha")).to_be_visible()
    check_page(page, "signup")
    fill_signup(page, captcha_answer(page))
    page.get_by_role("button", name="Sign Up").click()

    # Signed in straight away.
    nav = page.get_by_role("navigation", name="Site")
    expect(log_out_button(page)).to_be_visible()
    expect(nav.get_by_role("link", name=USERNAME)).to_be_visible()
    check_page(page, "signed up")
    user = User.objects.get(username=USERNAME)
    assert user.email == EMAIL

    # Exactly one welcome email reaches the SMTP server, sent by the worker.
    reminder = Reminder.objects.get(user=user)
    wait_until(
        lambda: Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENT).exists(),
        message="the welcome reminder to be sent",
    )
    wait_until(lambda: worker_is_quiet(celery_worker), message="the worker to have nothing left")
    welcome = [m for m in smtp_server.recorder.to(EMAIL) if m["Subject"] == DEFAULT_SUBJECT]
    assert len(welcome) == 1, [m["Subject"] for m in smtp_server.recorder.to(EMAIL)]
    assert USERNAME in welcome[0].get_body(("plain",)).get_content()

    # Logs out, and in again.
    log_out_button(page).click()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    check_page(page, "logged out")
    page.goto("/accounts/login/")
    check_page(page, "login")
    log_in(page, USERNAME, PASSWORD)

    # Comments on the post and sees the comment.
    page.goto(f"/post/{post.slug}/")
    page.get_by_label("Your comment").fill("Lovelace was here: the engine can compose music.")
    page.get_by_role("button", name="Post comment").click()
    expect(page).to_have_url(f"/post/{post.slug}/#comments")
    expect(page.get_by_role("status")).to_contain_text("your comment is published")
    mine = page.locator(".comment").filter(has_text="the engine can compose music")
    expect(mine).to_have_count(1)
    expect(mine.get_by_role("link", name=USERNAME)).to_be_visible()
    check_page(page, "commented")
    assert post.comments.filter(user=user).count() == 1

    # Still one welcome email: nothing was sent twice meanwhile.
    welcome = [m for m in smtp_server.recorder.to(EMAIL) if m["Subject"] == DEFAULT_SUBJECT]
    assert len(welcome) == 1


@pytest.mark.worker
def test_visitor_confirms_the_address_through_the_link_in_the_email_the_worker_sent(
    page: Page, check_page: PageChecker, live_server, celery_worker, smtp_server
) -> None:
    page.goto("/accounts/signup/")
    fill_signup(page, captcha_answer(page))
    page.get_by_role("button", name="Sign Up").click()
    expect(log_out_button(page)).to_be_visible()
    address = EmailAddress.objects.get(user__username=USERNAME, email=EMAIL)
    assert not address.verified

    # The request only stored allauth's email; the worker delivers it to the SMTP server.
    def confirmations():
        return [m for m in smtp_server.recorder.to(EMAIL) if m["Subject"] == CONFIRMATION]

    [email] = wait_until(confirmations, message="the confirmation email at the SMTP server")
    body = email.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert link.startswith(f"{live_server.url}/")

    page.goto(link)

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Email Address")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    check_page(page, "confirm email")
    address.refresh_from_db()
    assert not address.verified  # opening the link (a GET) changes nothing

    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text(f"You have confirmed {EMAIL}.")).to_be_visible()
    check_page(page, "email confirmed")
    address.refresh_from_db()
    assert address.verified
    # Sent once: nothing left that could send it again, and still one at the server.
    wait_until(lambda: worker_is_quiet(celery_worker), message="the worker to have nothing left")
    assert len(confirmations()) == 1
    confirmation = Reminder.objects.get(email=EMAIL, kind=MailKind.MAIL)
    assert (confirmation.status, confirmation.attempts) == (ReminderStatus.SENT, 1)


def test_a_wrong_captcha_shows_an_error_and_creates_nobody(
    page: Page, check_page: PageChecker
) -> None:
    page.goto("/accounts/signup/")
    right = captcha_answer(page)
    wrong = "x" * len(right) if right.lower() != "x" * len(right) else "y" * len(right)
    fill_signup(page, wrong)
    page.get_by_role("button", name="Sign Up").click()

    expect(page).to_have_url("/accounts/signup/")
    expect(page.locator(".errorlist")).to_contain_text("The letters do not match the picture")
    # The other fields keep what the visitor typed; a new challenge replaces the old one.
    expect(page.get_by_label("Username:")).to_have_value(USERNAME)
    expect(page.get_by_label("Type the letters in the picture:")).to_have_value("")
    check_page(page, "signup, wrong captcha")
    assert not User.objects.filter(username=USERNAME).exists()
    assert not User.objects.filter(email=EMAIL).exists()
    assert not Reminder.objects.filter(email=EMAIL).exists()
