"""One-click unsubscribe from the digest (RFC 8058), as a mail client does it: over HTTP
to the running server with ``http.client``, a POST whose body is
``List-Unsubscribe=One-Click`` and nothing else, no cookie, no CSRF token.

A GET changes nothing (link scanners fetch every link); forged, truncated, tampered,
other-purpose and dead-user tokens are a 400 that changes nothing, as is any other body;
no answer sets a cookie or may be cached; a token never expires.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from blog.checks import unsubscribe_mailto
from blog.models import User
from reminders.digest.unsubscribe import (
    SALT,
    InvalidToken,
    read_token,
    unsubscribe_token,
    unsubscribe_url,
)
from tests.factories import UserFactory
from tests.security.test_form_fuzzing import BOUND_SECONDS, bodies

pytestmark = pytest.mark.django_db(transaction=True)

ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"
INVALID = "This unsubscribe link does not work"


@dataclass
class Answer:
    status: int
    headers: Message
    body: str

    @property
    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []


def send(url: str, method: str = "POST", body: bytes = ONE_CLICK, **headers: str) -> Answer:
    """One request as a mail client makes it: only the headers given, never a cookie
    unless one is given."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    if method == "POST":
        headers.setdefault("Content-Type", FORM)
    try:
        connection.request(
            method, parts.path, body=body if method == "POST" else None, headers=headers
        )
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read().decode())
    finally:
        connection.close()


def multipart(fields: list[tuple[str, str]], boundary: str = "b0undary") -> tuple[bytes, str]:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def receives_digest(user: User) -> bool:
    return User.objects.get(pk=user.pk).receives_digest


@pytest.fixture
def reader() -> User:
    return UserFactory(receives_digest=True, username="reader")


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


@pytest.fixture
def link(site, reader) -> str:
    return unsubscribe_url(reader)


def with_payload(token: str, payload: object) -> str:
    """The token's signature on another payload: what a forger can make from one token."""
    _, signature = token.rsplit(":", 1)
    data = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{data.decode().rstrip('=')}:{signature}"


# THE ONE-CLICK POST
# ------------------------------------------------------------------------------
def test_one_click_post_turns_the_digest_off_with_no_cookie_and_no_csrf_token(
    link, reader, caplog
) -> None:
    with caplog.at_level(logging.INFO, logger="blog.services"):
        answer = send(link)

    assert answer.status == 200
    assert receives_digest(reader) is False
    assert "You are unsubscribed" in answer.body
    assert answer.cookies == []
    assert "no-store" in answer.headers["Cache-Control"]
    [line] = [r.getMessage() for r in caplog.records if r.name == "blog.services"]
    assert line == f"Digest unsubscribe: user {reader.pk} turned the digest off."
    assert reader.email not in caplog.text


def test_a_second_post_is_200_too(link, reader, caplog) -> None:
    first = send(link)
    with caplog.at_level(logging.INFO, logger="blog.services"):
        second = send(link)

    assert (first.status, second.status) == (200, 200)
    assert receives_digest(reader) is False
    assert f"user {reader.pk} had it off already" in caplog.text


def test_multipart_form_data_is_accepted_too(link, reader) -> None:
    body, content_type = multipart([("List-Unsubscribe", "One-Click")])

    answer = send(link, body=body, **{"Content-Type": content_type})

    assert answer.status == 200
    assert receives_digest(reader) is False


def test_the_page_after_unsubscribing_links_to_the_settings_to_turn_it_back_on(link) -> None:
    answer = send(link)

    assert 'href="/accounts/settings/"' in answer.body
    assert "Turn the digest back on" in answer.body


def test_only_the_tokens_owner_is_unsubscribed(link, reader) -> None:
    other = UserFactory(receives_digest=True)

    send(link)

    assert receives_digest(reader) is False
    assert receives_digest(other) is True


def test_an_unsubscribe_costs_two_queries(reader, django_assert_num_queries) -> None:
    path = urlsplit(unsubscribe_url(reader)).path

    # The token's user (1) and the conditional UPDATE (1): no session, no other row.
    with django_assert_num_queries(2):
        answer = Client().post(path, data=ONE_CLICK, content_type=FORM)

    assert answer.status_code == 200
    assert receives_digest(reader) is False


# A GET CHANGES NOTHING
# ------------------------------------------------------------------------------
def test_get_shows_a_button_and_changes_nothing(link, reader) -> None:
    answer = send(link, method="GET")

    assert answer.status == 200
    assert receives_digest(reader) is True
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in answer.body
    assert "csrfmiddlewaretoken" not in answer.body
    assert answer.cookies == []
    assert "no-store" in answer.headers["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in answer.body


def test_head_changes_nothing(link, reader) -> None:
    answer = send(link, method="HEAD")

    assert answer.status == 200
    assert receives_digest(reader) is True


def test_the_page_is_never_served_from_the_page_cache(link, settings) -> None:
    settings.BLOG_PAGE_CACHE_SECONDS = 300
    before = send(link, method="GET")
    send(link)

    after = send(link, method="GET")

    assert 'name="List-Unsubscribe"' in before.body
    assert 'name="List-Unsubscribe"' not in after.body
    assert "You are not subscribed to the weekly digest." in after.body


def test_a_signed_in_browser_gets_no_cookie_either(link, reader) -> None:
    client = Client()
    client.force_login(reader)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken=x" + "a" * 31

    shown = send(link, method="GET", Cookie=cookie)
    done = send(link, Cookie=cookie)

    assert (shown.status, done.status) == (200, 200)
    assert shown.cookies == done.cookies == []
    assert receives_digest(reader) is False


def test_the_page_is_in_the_readers_language(site) -> None:
    reader = UserFactory(receives_digest=True, language="zh-hans")

    shown = send(unsubscribe_url(reader), method="GET")
    done = send(unsubscribe_url(reader))

    assert '<html lang="zh-hans">' in shown.body
    assert "退订每周摘要" in shown.body
    assert "你已退订" in done.body


# TOKENS
# ------------------------------------------------------------------------------
def test_tokens_name_the_user_and_the_list(reader) -> None:
    token = unsubscribe_token(reader)

    assert read_token(token) == (reader.pk, "digest")
    assert unsubscribe_token(UserFactory()) != token


def test_a_token_made_long_ago_still_unsubscribes(site, reader, monkeypatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)  # September 2001
    old = unsubscribe_token(reader)
    monkeypatch.undo()

    answer = send(f"{site}/unsubscribe/{old}/")

    assert old == unsubscribe_token(reader)  # nothing in it depends on the time
    assert answer.status == 200
    assert receives_digest(reader) is False


def test_another_users_token_cannot_be_made_from_this_one(site, reader) -> None:
    victim = UserFactory(receives_digest=True)
    forged = with_payload(unsubscribe_token(reader), [victim.pk, "digest"])

    answer = send(f"{site}/unsubscribe/{forged}/")

    assert answer.status == 400
    assert receives_digest(victim) is True
    assert receives_digest(reader) is True
    with pytest.raises(InvalidToken):
        read_token(forged)


def bad_tokens(user: User) -> dict[str, str]:
    token = unsubscribe_token(user)
    flipped = "A" if token[-1] != "A" else "B"
    return {
        "tampered signature": token[:-1] + flipped,
        "truncated": token[:-6],
        "payload only": token.rsplit(":", 1)[0],
        "another list": signing.Signer(salt=SALT).sign_object([user.pk, "newsletter"]),
        "another purpose": signing.Signer(salt="elsewhere").sign_object([user.pk, "digest"]),
        "timestamped": signing.dumps([user.pk, "digest"], salt=SALT),
        "not a pair": signing.Signer(salt=SALT).sign_object({"user": user.pk}),
        "a bool for a pk": signing.Signer(salt=SALT).sign_object([True, "digest"]),
        "garbage": "not-a-token",
        "very long": token + "x" * 5000,
        "non-UTF-8": "%FF%FE%00",
    }


BAD = list(bad_tokens(User(pk=1)))


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", BAD)
def test_a_bad_token_is_a_clear_400_and_changes_nothing(site, reader, kind, method) -> None:
    token = bad_tokens(reader)[kind]

    answer = send(f"{site}/unsubscribe/{token}/", method=method)

    assert answer.status == 400
    assert INVALID in answer.body
    assert answer.cookies == []
    assert receives_digest(reader) is True


@pytest.mark.parametrize("kind", [k for k in BAD if k != "non-UTF-8"])
def test_read_token_refuses_bad_tokens_with_one_exception(reader, kind) -> None:
    with pytest.raises(InvalidToken):
        read_token(bad_tokens(reader)[kind])


def test_a_valid_token_of_a_deleted_user_is_a_400(site) -> None:
    gone = UserFactory(receives_digest=True)
    link = unsubscribe_url(gone)
    gone.delete()

    shown = send(link, method="GET")
    posted = send(link)

    assert (shown.status, posted.status) == (400, 400)
    assert INVALID in posted.body


# OTHER BODIES
# ------------------------------------------------------------------------------
OTHER_BODIES = {
    "empty": (b"", FORM),
    "another value": (b"List-Unsubscribe=Yes", FORM),
    "an extra field": (b"List-Unsubscribe=One-Click&also=1", FORM),
    "twice": (b"List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", FORM),
    "a trailing newline": (b"List-Unsubscribe=One-Click\r\n", FORM),
    "non-UTF-8": (b"List-Unsubscribe=\xff\xfe", FORM),
    "text/plain": (ONE_CLICK, "text/plain"),
    "JSON": (b'{"List-Unsubscribe": "One-Click"}', "application/json"),
    "no content type": (ONE_CLICK, ""),
    "broken multipart": (b"--x\r\nnot a part", "multipart/form-data; boundary=x"),
    "multipart without boundary": (ONE_CLICK, "multipart/form-data"),
    "multipart with a file": multipart([("List-Unsubscribe", "One-Click")])[0].replace(
        b"--b0undary--",
        b'--b0undary\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"\r\nx\r\n--b0undary--",
    ),
}
OTHER_BODIES["multipart with a file"] = (
    OTHER_BODIES["multipart with a file"],
    "multipart/form-data; boundary=b0undary",
)


@pytest.mark.parametrize("kind", list(OTHER_BODIES))
def test_a_post_with_another_body_is_a_400_and_changes_nothing(link, reader, kind) -> None:
    body, content_type = OTHER_BODIES[kind]

    answer = send(link, body=body, **{"Content-Type": content_type})

    assert answer.status == 400
    assert "not a one-click unsubscribe" in answer.body
    assert receives_digest(reader) is True


def test_a_body_over_the_upload_limit_is_a_400(reader, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    path = urlsplit(unsubscribe_url(reader)).path
    body = ONE_CLICK + b"&pad=" + b"x" * 2000

    answer = Client().post(path, data=body, content_type=FORM)

    assert answer.status_code == 400
    assert receives_digest(reader) is True


def test_other_methods_are_refused(link, reader) -> None:
    answer = send(link, method="PUT", body=ONE_CLICK)

    assert answer.status == 405
    assert receives_digest(reader) is True


# THE MAILTO SETTING
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("unsubscribe@example.com", []),
        ("mailto:unsubscribe@example.com", ["blog.E030"]),
        ("Lightblog <unsubscribe@example.com>", ["blog.E030"]),
        ("a@example.com, b@example.com", ["blog.E030"]),
    ],
)
def test_the_mailto_setting_must_be_a_bare_address(settings, value, expected) -> None:
    settings.REMINDERS_UNSUBSCRIBE_MAILTO = value

    assert [problem.id for problem in unsubscribe_mailto(None)] == expected


def test_the_form_fuzzing_bodies_are_400s_never_5xx(link, reader) -> None:
    """The hostile bodies of the forms' fuzzing pass (tests/security/test_form_fuzzing.py),
    around the one-click field: each is refused, quickly, and changes nothing."""
    cases = bodies({"List-Unsubscribe": "One-Click"})
    answers = {}
    for case, (content_type, body) in cases.items():
        started = time.monotonic()
        answer = send(link, body=body, **{"Content-Type": content_type})
        answers[case] = (answer.status, time.monotonic() - started < BOUND_SECONDS)

    assert answers == {case: (400, True) for case in cases}
    assert receives_digest(reader) is True
