"""A fuzzing pass over the HTML forms, through a real server (``runserver`` in a
subprocess): signup, login, a comment, the post editor and the account settings get
bodies of wrong types, huge sizes, control characters, bytes that are not UTF-8, deep
nesting and too many fields. No answer may be a 5xx, and none may take over 2 seconds
(a bound on the work one request can cause, not a speed target: bench/ has those).

The cases are fixed, so every run sends the same requests. The API is fuzzed by
Schemathesis from its schema (tests/api/test_schemathesis.py), token endpoints included.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from blog.permissions import DEFAULT_GROUP, POSTER_GROUP
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory

from .conftest import Session

pytestmark = pytest.mark.django_db(transaction=True)

BOUND_SECONDS = 2.0
BIG = 2_000_000  # under DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB): the forms must refuse it
TOO_BIG = 3_000_000  # over it: Django's 400


def encode(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs).encode()


def bodies(fields: dict[str, str]) -> dict[str, tuple[str, bytes]]:
    """Hostile variants of a valid form body, each with its content type."""
    form = "application/x-www-form-urlencoded"
    names = list(fields)
    first = names[0]
    valid = list(fields.items())
    return {
        "empty": (form, b""),
        "each field twice": (form, encode(valid + valid)),
        "fields as lists": (form, encode([(f"{k}[]", v) for k, v in valid])),
        "numbers and booleans": (form, encode([(k, "1e400") for k in names] + [("x", "true")])),
        "huge field": (form, encode([*valid[1:], (first, "x" * BIG)])),
        "huge body": (form, b"a=" + b"x" * TOO_BIG),
        "control characters": (
            form,
            encode([(k, f"{v}\x00\x01\x0b\x1b[31m\x7f\u2028\ufffe") for k, v in valid]),
        ),
        "not utf-8": (form, b"&".join(k.encode() + b"=%FF%FE%C0%AF" for k in names)),
        "deep nesting": (form, encode([(first + "[a]" * 5000, "x"), *valid[1:]])),
        "too many fields": (form, encode(valid + [(f"f{n}", "x") for n in range(3000)])),
        "json nested": ("application/json", b"[" * 10_000 + b"]" * 10_000),
        "multipart garbage": ("multipart/form-data; boundary=zz", b"--zz\r\nnonsense\r\n--zz"),
        "multipart no boundary": ("multipart/form-data", b"x" * 1000),
        "text": ("text/plain", "caf\u00e9 \x00".encode()),
    }


def test_no_form_answers_5xx_or_takes_over_two_seconds(runserver) -> None:
    poster = UserFactory(username="fuzzer", roles=[DEFAULT_GROUP, POSTER_GROUP])
    post = PostFactory(author=poster, title="Fuzzed")
    forms = {
        "/accounts/signup/": {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "Nebula-Orchard-42",
            "password2": "Nebula-Orchard-42",
            "captcha_0": "0" * 40,
            "captcha_1": "abcde",
        },
        "/accounts/login/": {"login": "somebody", "password": "guess", "remember": "on"},
        f"/post/{post.slug}/": {"text": "A comment"},
        "/post/new/": {"title": "A title", "text": "Some *text*", "tags": "a, b"},
        f"/post/{post.slug}/edit/": {"title": "Edited", "text": "New text", "tags": "c"},
        "/accounts/settings/": {"receives_digest": "on"},
    }
    # The limits would answer 429 before the forms see most bodies.
    with runserver(
        ACCOUNT_RATE_LIMIT_SIGNUP="1000/m/ip",
        ACCOUNT_RATE_LIMIT_LOGIN="1000/m/ip",
        ACCOUNT_RATE_LIMIT_LOGIN_FAILED="1000/m/ip",
    ) as url:
        anonymous, member = Session(url), Session(url)
        signed_in = member.post_form(
            "/accounts/login/", {"login": "fuzzer", "password": DEFAULT_PASSWORD}
        )
        assert [r.status_code for r in signed_in.history] == [302], signed_in.text[:300]

        failures, answered, statuses = [], 0, []
        for path, fields in forms.items():
            session = (
                anonymous if path.startswith("/accounts/") and "settings" not in path else member
            )
            token = session.csrf_token(path)
            for case, (content_type, body) in bodies(fields).items():
                if content_type.startswith("application/x-www") and body:
                    body = b"csrfmiddlewaretoken=" + token.encode() + b"&" + body
                started = time.monotonic()
                response = session.post(
                    session.url(path),
                    data=body,
                    headers={
                        "Content-Type": content_type,
                        "Referer": session.url(path),
                        "X-CSRFToken": token,
                    },
                    timeout=30,
                    allow_redirects=False,
                )
                elapsed = time.monotonic() - started
                answered += 1
                statuses.append(response.status_code)
                if response.status_code >= 500 or elapsed > BOUND_SECONDS:
                    failures.append(f"{path} {case}: {response.status_code} in {elapsed:.2f}s")

    assert answered == len(forms) * len(bodies({"a": "b"}))
    assert not failures, "\n".join(failures)
    # Every body reached its form: none was stopped at the CSRF check instead.
    assert 403 not in statuses
