"""Refresh tokens rotate and are revoked: a password change or a deactivation ends
every token of the account (issue #19).

Each refresh returns a new refresh token and blacklists the one sent
(``token_blacklist``); every token carries a hash of the user's password hash, so a new
password stops the access and refresh tokens issued before it; deactivating an account
blacklists its refresh tokens, so reactivating it brings none back.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from blog.services import user_api_tokens_revoke

TOKEN_URL = "/api/auth/token/"
REFRESH_URL = "/api/auth/token/refresh/"
PASSWORD = "correct horse battery staple"
ME = "/api/posts/"  # any endpoint that authenticates the token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user():
    return get_user_model().objects.create_user(
        username="ada", email="ada@example.com", password=PASSWORD
    )


def obtain() -> dict[str, str]:
    response = APIClient().post(TOKEN_URL, {"username": "ada", "password": PASSWORD})
    assert response.status_code == 200, response.data
    return response.data


def refresh(token: str):
    return APIClient().post(REFRESH_URL, {"refresh": token}, format="json")


def authenticated(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post(ME, {}, format="json").status_code  # 400/403 when the token is good


def test_a_refresh_returns_a_new_refresh_token_and_the_old_one_works_no_more(user) -> None:
    first = obtain()["refresh"]

    rotated = refresh(first)
    replayed = refresh(first)

    assert rotated.status_code == 200
    assert set(rotated.data) == {"access", "refresh"}
    assert rotated.data["refresh"] != first
    assert replayed.status_code == 401
    assert refresh(rotated.data["refresh"]).status_code == 200
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


def test_a_password_change_ends_the_access_and_refresh_tokens_issued_before(user) -> None:
    tokens = obtain()
    assert authenticated(tokens["access"]) != 401

    user.set_password("a brand new passphrase")
    user.save()

    assert authenticated(tokens["access"]) == 401
    answer = refresh(tokens["refresh"])
    assert answer.status_code == 401
    assert answer.data["detail"] == "The user's password has been changed."
    # The new password's tokens work.
    fresh = APIClient().post(TOKEN_URL, {"username": "ada", "password": "a brand new passphrase"})
    assert authenticated(fresh.data["access"]) != 401


def test_deactivating_an_account_revokes_its_refresh_tokens_for_good(user) -> None:
    tokens = [obtain()["refresh"], obtain()["refresh"]]

    user.is_active = False
    user.save()
    refused_while_inactive = [refresh(token).status_code for token in tokens]
    user.is_active = True
    user.save()

    assert refused_while_inactive == [401, 401]
    assert [refresh(token).status_code for token in tokens] == [401, 401]
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


def test_revoking_blacklists_only_the_unrevoked_tokens_of_that_user(user) -> None:
    other = get_user_model().objects.create_user(username="bob", email="b@example.com")
    obtain()
    obtain()
    OutstandingToken.objects.create(
        user=other, jti="other", token="x", expires_at=user.date_joined.replace(year=2999)
    )

    assert user_api_tokens_revoke(user=user) == 2
    assert user_api_tokens_revoke(user=user) == 0
    assert not BlacklistedToken.objects.filter(token__user=other).exists()
