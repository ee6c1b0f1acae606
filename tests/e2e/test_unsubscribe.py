"""A reader unsubscribes from the digest in the browser: the link in the digest the
SMTP server received, the page it opens (which changes nothing by itself), the button.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from blog.models import User
from reminders.services import digest_send
from tests.e2e.conftest import PageChecker
from tests.factories import PostFactory, UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.e2e


def test_reader_opens_the_digests_unsubscribe_link_and_presses_the_button(
    page: Page, context: BrowserContext, check_page: PageChecker, live_server, smtp_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    reader = UserFactory(username="ada", receives_digest=True)
    PostFactory(title="Notes on the Analytical Engine")
    digest_send()
    deliver_due()
    [message] = smtp_server.recorder.messages
    html = message.get_body(("html",)).get_content()
    [link] = re.findall(r'<a href="([^"]+/unsubscribe/[^"]+)">', html)
    assert f"<{link}>" in message["List-Unsubscribe"]

    page.goto(link)

    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from the weekly digest")
    check_page(page, "unsubscribe")
    assert User.objects.get(pk=reader.pk).receives_digest is True  # a GET changes nothing

    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("status").last).to_contain_text("You are unsubscribed")
    check_page(page, "unsubscribed")
    assert User.objects.get(pk=reader.pk).receives_digest is False
    expect(page.get_by_role("link", name="account settings")).to_have_attribute(
        "href", "/accounts/settings/"
    )
    assert context.cookies() == []
