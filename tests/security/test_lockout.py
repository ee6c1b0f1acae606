"""One lockout policy at the three login doors (config/lockout.py, django-axes):
``LOGIN_LOCKOUT_FAILURES`` failed logins for one account from one address lock that
pair for ``LOGIN_LOCKOUT_MINUTES``; the right password is then refused too, with a 429
that says why (JSON at the API)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "this account is locked from your address for 15 minutes"


def allauth_login(client: Client, login: str, password: str):
    return client.post("/accounts/login/", {"login": login, "password": password})


def admin_login(client: Client, login: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": login, "password": password})


def api_token(client: Client, login: str, password: str):
    return client.post(
        "/api/auth/token/",
        json.dumps({"username": login, "password": password}),
        content_type="application/json",
    )


DOORS = {"allauth": allauth_login, "admin": admin_login, "api": api_token}


def fast_user(**fields):
    """A user whose password checks fast (MD5): every door checks it a dozen times here."""
    user = UserFactory(**fields)
    user.password = make_password(DEFAULT_PASSWORD, hasher="md5")
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def staff():
    return fast_user(username="keeper", email="keeper@example.com", is_staff=True)


def signed_in(response, door: str) -> bool:
    if door == "api":
        return response.status_code == 200 and "access" in response.json()
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


@pytest.mark.parametrize("door", DOORS)
def test_the_right_password_works_before_the_limit(door, staff) -> None:
    login = DOORS[door]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), "keeper", "wrong")

    assert signed_in(login(Client(), "keeper", DEFAULT_PASSWORD), door)


@pytest.mark.parametrize("door", DOORS)
def test_the_failure_limit_locks_the_account_from_that_address(door, staff) -> None:
    login = DOORS[door]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "keeper", "wrong")

    response = login(Client(), "keeper", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert not signed_in(response, door)
    if door == "api":
        assert LOCKED in response.json()["detail"]
    else:
        assert LOCKED in response.content.decode()


def test_failures_at_one_door_count_at_the_others(staff) -> None:
    allauth_login(Client(), "keeper", "wrong")
    allauth_login(Client(), "Keeper@Example.com", "wrong")  # the email names the account
    admin_login(Client(), "keeper", "wrong")
    api_token(Client(), "keeper", "wrong")
    api_token(Client(), "KEEPER", "wrong")

    assert admin_login(Client(), "keeper", DEFAULT_PASSWORD).status_code == 429
    assert allauth_login(Client(), "keeper", DEFAULT_PASSWORD).status_code == 429


def test_another_address_or_account_is_not_locked(staff) -> None:
    other = fast_user(username="other")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_token(Client(), "keeper", "wrong")

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert signed_in(api_token(elsewhere, "keeper", DEFAULT_PASSWORD), "api")
    assert signed_in(api_token(Client(), other.username, DEFAULT_PASSWORD), "api")


def test_the_lockout_ends_after_the_cool_off(staff) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_token(Client(), "keeper", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert signed_in(api_token(Client(), "keeper", DEFAULT_PASSWORD), "api")


def test_a_good_password_resets_the_count(staff) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api_token(Client(), "keeper", "wrong")
    assert signed_in(api_token(Client(), "keeper", DEFAULT_PASSWORD), "api")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api_token(Client(), "keeper", "wrong")

    assert signed_in(api_token(Client(), "keeper", DEFAULT_PASSWORD), "api")


def test_the_attempts_table_keeps_no_password(staff) -> None:
    allauth_login(Client(), "keeper", "my-secret-guess")
    api_token(Client(), "keeper", "my-secret-guess")

    rows = list(AccessAttempt.objects.values_list("post_data", flat=True))
    assert rows
    assert not any("my-secret-guess" in row for row in rows)


@pytest.mark.parametrize(
    "body", ['{"username": ["a"], "password": "x"}', "[1, 2]", '{"username": 7}', '"x"']
)
def test_hostile_token_bodies_are_400_or_401_never_500(body) -> None:
    response = Client().post("/api/auth/token/", body, content_type="application/json")

    assert response.status_code in (400, 401)


def test_a_login_name_cannot_forge_a_log_line(staff, caplog) -> None:
    with caplog.at_level("WARNING", logger="axes"):
        api_token(Client(), "keeper\nWARNING forged line", "wrong")

    assert caplog.records
    assert all("\n" not in record.getMessage() for record in caplog.records)


def test_the_admin_login_shares_allauths_per_address_login_limit(settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    # Three different accounts: the lockout (per account) stays out of it.
    answers = [admin_login(Client(), f"nobody{n}", "wrong").status_code for n in range(4)]

    assert answers == [200, 200, 200, 429]
    assert Client().get("/admin/login/").status_code == 200  # showing the form is free
