"""The digest's unsubscribe headers (RFC 8058, RFC 2369, RFC 2919), read from the
message a real SMTP server received, and followed as a mail client does: the
``List-Unsubscribe`` address POSTed to the running site with ``List-Unsubscribe=One-Click``
and nothing else. The welcome email is transactional: no unsubscribe header."""

from __future__ import annotations

import http.client
import re
from urllib.parse import unquote, urlsplit

import pytest

from blog.models import User
from reminders.digest.unsubscribe import read_token
from reminders.models import DigestRun
from reminders.services import digest_send, reminder_deliver, welcome_reminder_create
from tests.factories import PostFactory, UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.django_db(transaction=True)


def one_click(url: str) -> int:
    """POST the RFC 8058 body to ``url`` with no cookie; the answer's status."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            "POST",
            parts.path,
            body=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def https_target(header: str) -> str:
    [url] = re.findall(r"<(https?://[^>]+)>", header)
    return url


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def test_the_digests_unsubscribe_link_unsubscribes_its_reader(smtp_server, site) -> None:
    ada, bob = (UserFactory(receives_digest=True, username=n) for n in ("ada", "bob"))
    PostFactory()

    digest_send()

    deliver_due()

    messages = {m["To"]: m for m in smtp_server.recorder.messages}
    message = messages[ada.email]
    url = https_target(message["List-Unsubscribe"])
    assert url.startswith(f"{site}/unsubscribe/")
    # A long header is folded (a line break before the value, RFC 5322 §2.2.3).
    assert message["List-Unsubscribe"].strip() == f"<{url}>"  # no mailto: by default
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    host = urlsplit(site).hostname
    assert message["List-Id"] == f'"Lightblog weekly digest" <digest.{host}>'
    # The footer links to the same page, in both parts.
    assert url in message.get_body(("plain",)).get_content()
    assert f'href="{url}"' in message.get_body(("html",)).get_content()
    assert https_target(messages[bob.email]["List-Unsubscribe"]) != url

    assert one_click(url) == 200

    assert User.objects.get(pk=ada.pk).receives_digest is False
    assert User.objects.get(pk=bob.pk).receives_digest is True


def test_next_weeks_digest_is_not_sent_to_who_unsubscribed(smtp_server, site) -> None:
    ada, bob = (UserFactory(receives_digest=True, username=n) for n in ("ada", "bob"))
    PostFactory()
    digest_send()
    deliver_due()
    [ada_copy] = [m for m in smtp_server.recorder.messages if m["To"] == ada.email]
    one_click(https_target(ada_copy["List-Unsubscribe"]))
    smtp_server.recorder.messages.clear()

    DigestRun.objects.all().delete()  # as staff allow a resend (docs/digest.md)
    digest_send()
    deliver_due()

    assert [m["To"] for m in smtp_server.recorder.messages] == [bob.email]


def test_the_mailto_form_is_offered_only_when_set(smtp_server, site, settings) -> None:
    settings.REMINDERS_UNSUBSCRIBE_MAILTO = "unsubscribe@example.com"
    reader = UserFactory(receives_digest=True)
    PostFactory()

    digest_send()

    deliver_due()

    [message] = smtp_server.recorder.messages
    header = message["List-Unsubscribe"].strip()
    https, mailto = re.findall(r"<([^>]+)>", header)
    assert header == f"<{https}>, <{mailto}>"
    assert mailto.startswith("mailto:unsubscribe@example.com?subject=unsubscribe%20")
    token = unquote(mailto.rpartition("%20")[2])
    assert read_token(token) == (reader.pk, "digest")
    assert https.endswith(f"/unsubscribe/{token}/")


def test_the_welcome_email_has_no_unsubscribe_headers(smtp_server) -> None:
    user = UserFactory(username="newcomer")

    reminder_deliver(reminder_id=str(welcome_reminder_create(user).pk))

    [message] = smtp_server.recorder.messages
    assert message["To"] == user.email
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert message["List-Id"] is None
