"""Every limit keys on the client address ``config.client_ip.client_ip`` reads, over a
real server (``runserver`` in a subprocess: the address comes from the socket).

With the default ``TRUSTED_PROXY_COUNT=0`` a made-up ``X-Forwarded-For`` buys no new
allowance; behind one trusted proxy every limit counts the client the proxy saw, not
the proxy, and not what the client wrote in front of it.
"""

from __future__ import annotations

import itertools

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import Session

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/accounts/login/"
ALLAUTH_LIMITED = "Too many failed login attempts. Try again later."
made_up = (f"203.0.113.{n}" for n in itertools.count(1))


def api_tags(session: Session, forwarded: str) -> int:
    return session.get(
        session.url("/api/tags/"), headers={"X-Forwarded-For": forwarded}, timeout=30
    ).status_code


def failed_login(session: Session, login: str, forwarded: str) -> str:
    response = session.post_form(
        LOGIN, {"login": login, "password": "wrong guess"}, {"X-Forwarded-For": forwarded}
    )
    assert response.status_code in (200, 429), response.text[:300]
    return response.text


def test_by_default_a_made_up_forwarding_header_bypasses_no_limit(runserver) -> None:
    UserFactory(username="victim")
    with runserver(API_THROTTLE_ANON="3/minute", ACCOUNT_RATE_LIMIT_LOGIN_FAILED="3/m/ip") as url:
        session = Session(url)
        # DRF's throttle: three answers, then 429, whatever address the header names.
        assert [api_tags(session, next(made_up)) for _ in range(3)] == [200, 200, 200]
        assert api_tags(session, next(made_up)) == 429

        # allauth's per-address limit on failed logins (one guess per account, so the
        # per-account lockout stays out of it).
        for n in range(3):
            assert ALLAUTH_LIMITED not in failed_login(session, f"nobody{n}", next(made_up))
        assert ALLAUTH_LIMITED in failed_login(session, "nobody9", next(made_up))


def test_a_made_up_header_does_not_escape_the_account_lockout(runserver) -> None:
    UserFactory(username="victim")
    with runserver() as url:
        session = Session(url)
        for _ in range(5):
            failed_login(session, "victim", next(made_up))

        response = session.post_form(
            LOGIN,
            {"login": "victim", "password": DEFAULT_PASSWORD},
            {"X-Forwarded-For": next(made_up)},
        )

    assert response.status_code == 429
    assert "this account is locked" in response.text


def test_behind_one_trusted_proxy_limits_key_on_the_real_client(runserver) -> None:
    with runserver(
        TRUSTED_PROXY_COUNT="1",
        API_THROTTLE_ANON="3/minute",
        ACCOUNT_RATE_LIMIT_LOGIN_FAILED="3/m/ip",
    ) as url:
        # Every request comes from 127.0.0.1, the "proxy"; the header's last entry is the
        # address the proxy received it from.
        alice, bob = Session(url), Session(url)
        assert [api_tags(alice, "198.51.100.1") for _ in range(3)] == [200, 200, 200]
        assert api_tags(alice, "198.51.100.1") == 429
        # What Alice writes in front of her address herself changes nothing.
        assert api_tags(alice, "6.6.6.6, 198.51.100.1") == 429
        # Bob, behind the same proxy, has his own allowance.
        assert api_tags(bob, "198.51.100.2") == 200

        for n in range(3):
            failed_login(alice, f"nobody{n}", "6.6.6.{n}, 198.51.100.1")
        assert ALLAUTH_LIMITED in failed_login(alice, "nobody9", "198.51.100.1")
        assert ALLAUTH_LIMITED not in failed_login(bob, "nobody9", "198.51.100.2")
