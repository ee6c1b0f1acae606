"""Google reCAPTCHA mode: only Google's verify endpoint is replaced."""

from __future__ import annotations

import io
import json
import re
from urllib.error import URLError

import pytest

from blog.models import User
from tests.accounts.conftest import GOOD_PASSWORD, SIGNUP_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recaptcha_keys(settings):
    settings.RECAPTCHA_PUBLIC_KEY = "site-key-for-tests"
    settings.RECAPTCHA_PRIVATE_KEY = "secret-key-for-tests"


@pytest.fixture
def google(monkeypatch):
    """Google's siteverify endpoint: records what it was asked and answers ``success``."""

    class Google:
        success = True
        error: Exception | None = None
        requests: list[bytes] = []

        def verify(self, params: bytes):
            self.requests.append(params)
            if self.error:
                raise self.error
            return io.BytesIO(json.dumps({"success": self.success}).encode())

    endpoint = Google()
    endpoint.requests = []
    monkeypatch.setattr("django_recaptcha.client.recaptcha_request", endpoint.verify)
    return endpoint


def data(**overrides):
    return {
        "username": "robotcheck",
        "email": "robotcheck@example.com",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "g-recaptcha-response": "token-from-the-browser",
        **overrides,
    }


def test_signup_page_shows_the_recaptcha_widget(client, recaptcha_keys):
    html = client.get(SIGNUP_URL).content.decode()

    assert "site-key-for-tests" in html
    assert "g-recaptcha" in html
    assert 'name="captcha_1"' not in html
    # No inline script (the Content-Security-Policy would block it): Google's only.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="https://www.google.com/recaptcha/api.js">'], scripts
    assert "data-callback" not in html


def test_google_says_yes_and_the_user_is_created(client, recaptcha_keys, google):
    response = client.post(SIGNUP_URL, data())

    assert response.status_code == 302
    assert User.objects.filter(username="robotcheck").exists()
    assert b"secret=secret-key-for-tests" in google.requests[0]
    assert b"response=token-from-the-browser" in google.requests[0]


def test_google_says_no_and_nobody_is_created(client, recaptcha_keys, google):
    google.success = False

    response = client.post(SIGNUP_URL, data())

    assert "captcha" in response.context["form"].errors
    assert User.objects.count() == 0


def test_missing_token_is_refused_without_asking_google(client, recaptcha_keys, google):
    response = client.post(SIGNUP_URL, data(**{"g-recaptcha-response": ""}))

    assert "captcha" in response.context["form"].errors
    assert google.requests == []
    assert User.objects.count() == 0


def test_google_unreachable_is_a_form_error_not_a_crash(client, recaptcha_keys, google):
    google.error = URLError("network is unreachable")

    response = client.post(SIGNUP_URL, data())

    assert response.status_code == 200
    assert "captcha" in response.context["form"].errors
    assert User.objects.count() == 0


def test_google_says_no_and_no_other_error_is_shown(client, recaptcha_keys, google):
    """A taken address is not revealed to whoever has not passed the CAPTCHA."""
    UserFactory(username="robotcheck", email="robotcheck@example.com")
    google.success = False

    response = client.post(SIGNUP_URL, data())

    assert list(response.context["form"].errors) == ["captcha"]
    assert len(google.requests) == 1
