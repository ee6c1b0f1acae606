"""POST /api/auth/token/ and /api/auth/token/refresh/: JSON Web Tokens for scripts."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow

TOKEN_URL = "/api/auth/token/"
REFRESH_URL = "/api/auth/token/refresh/"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username="ada", email="ada@example.com", password=PASSWORD
    )


def test_username_and_password_give_an_access_and_a_refresh_token(api_client, user) -> None:
    response = api_client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD})

    assert response.status_code == 200
    access = AccessToken(response.data["access"])
    refresh = RefreshToken(response.data["refresh"])
    assert access["user_id"] == str(user.pk)
    assert refresh["user_id"] == str(user.pk)


def test_access_token_expires_after_ten_minutes_by_default(api_client, user) -> None:
    response = api_client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD})

    access = AccessToken(response.data["access"])
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=10)
    assert access["exp"] - access["iat"] == 600


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "ada", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_401_with_a_clear_message(api_client, user, credentials) -> None:
    response = api_client.post(TOKEN_URL, credentials)

    assert response.status_code == 401
    assert response.data["detail"] == "No active account found with the given credentials"
    assert "access" not in response.data


def test_an_inactive_user_gets_no_token(api_client, user) -> None:
    user.is_active = False
    user.save()

    response = api_client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD})

    assert response.status_code == 401


def test_missing_credentials_are_400_with_field_errors(api_client) -> None:
    response = api_client.post(TOKEN_URL, {"username": "ada"})

    assert response.status_code == 400
    assert response.data["password"] == ["This field is required."]


def test_refresh_token_gives_a_new_access_token(api_client, user) -> None:
    refresh = RefreshToken.for_user(user)

    response = api_client.post(REFRESH_URL, {"refresh": str(refresh)})

    assert response.status_code == 200
    assert AccessToken(response.data["access"])["user_id"] == str(user.pk)


def test_an_access_token_is_not_a_refresh_token(api_client, user) -> None:
    access = RefreshToken.for_user(user).access_token

    response = api_client.post(REFRESH_URL, {"refresh": str(access)})

    assert response.status_code == 401


def test_an_expired_refresh_token_is_401(api_client, user) -> None:
    refresh = RefreshToken.for_user(user)
    refresh.set_exp(from_time=aware_utcnow() - settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"])

    response = api_client.post(REFRESH_URL, {"refresh": str(refresh)})

    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"


# The test SECRET_KEY is short; PyJWT warns when it is tried as an HMAC key below.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_tokens_are_signed_with_the_jwt_key_not_the_secret_key(user) -> None:
    token = str(RefreshToken.for_user(user).access_token)

    claims = jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert claims["user_id"] == str(user.pk)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])


def test_token_endpoint_is_throttled_per_client(api_client, user) -> None:
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["token"].split("/")[0])
    # A different account each time: the throttle counts the client, whatever account
    # it tries (the lockout, per account, would answer first for one account).
    for attempt in range(limit):
        response = api_client.post(TOKEN_URL, {"username": f"ada{attempt}", "password": "guess"})
        assert response.status_code == 401

    response = api_client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD})

    assert response.status_code == 429
    assert "throttled" in response.data["detail"].lower()
    assert int(response["Retry-After"]) > 0
