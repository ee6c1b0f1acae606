"""Login, "remember me", rate limits, logout and password reset through allauth."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password

from blog.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


@pytest.fixture
def reader():
    return UserFactory(username="reader", email="reader@example.com")


@pytest.mark.parametrize("login", ["reader", "reader@example.com", "READER@example.com"])
def test_login_by_username_or_email(client, reader, login):
    response = client.post(LOGIN_URL, {"login": login, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert signed_in_user_id(client) == reader.pk


def test_wrong_password_is_a_form_error(client, reader):
    response = client.post(LOGIN_URL, {"login": "reader", "password": "not-it"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert signed_in_user_id(client) is None


def test_login_page_offers_remember_me(client):
    html = client.get(LOGIN_URL).content.decode()

    assert 'name="remember"' in html


def test_without_remember_me_the_session_ends_with_the_browser(client, reader):
    client.post(LOGIN_URL, {"login": "reader", "password": DEFAULT_PASSWORD})

    assert client.session.get_expire_at_browser_close()


def test_with_remember_me_the_session_outlives_the_browser(client, reader):
    client.post(LOGIN_URL, {"login": "reader", "password": DEFAULT_PASSWORD, "remember": "on"})

    assert not client.session.get_expire_at_browser_close()


def test_repeated_failures_lock_the_account_for_a_while(client, reader):
    for _ in range(5):
        client.post(LOGIN_URL, {"login": "reader", "password": "guess"})

    response = client.post(LOGIN_URL, {"login": "reader", "password": DEFAULT_PASSWORD})

    assert signed_in_user_id(client) is None
    assert "Too many failed login attempts" in response.content.decode()


def test_bcrypt_hash_of_the_original_blog_still_logs_in_and_is_upgraded(client, settings):
    user = UserFactory(username="legacy")
    user.password = make_password("Old-Flask-Password-1", hasher="bcrypt_sha256")
    user.save()

    client.post(LOGIN_URL, {"login": "legacy", "password": "Old-Flask-Password-1"})

    assert signed_in_user_id(client) == user.pk
    user.refresh_from_db()
    assert user.password.startswith("argon2")


def test_logout_needs_a_post(client, reader):
    client.force_login(reader)

    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert signed_in_user_id(client) == reader.pk

    client.post("/accounts/logout/")
    assert signed_in_user_id(client) is None


def test_password_reset_by_email_sets_a_new_password(client, reader, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "reader@example.com"})
    deliver_due()

    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    form_page = client.get(link.group(1), follow=True)
    new_password = "Brand-New-Secret-77"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=reader.pk).check_password(new_password)


def test_password_reset_for_an_unknown_email_reveals_nothing_and_gives_no_key(
    client, reader, mailoutbox
):
    known = client.post("/accounts/password/reset/", {"email": "reader@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    deliver_due()

    # The visitor sees the same thing either way: no way to probe for accounts.
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    to_nobody = [m for m in mailoutbox if m.to == ["nobody@example.com"]]
    assert all("/accounts/password/reset/key/" not in m.body for m in to_nobody)
