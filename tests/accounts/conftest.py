"""Helpers for the registration and login tests."""

from __future__ import annotations

import re

import pytest
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.test import Client

SIGNUP_URL = "/accounts/signup/"
GOOD_PASSWORD = "Nebula-Orchard-42"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """allauth counts attempts in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def captcha_from_page(html: str) -> tuple[str, str]:
    """The CAPTCHA on a signup page and its answer, read as a person reads the image:
    the hidden key names the challenge, the store holds the letters it shows."""
    match = re.search(r'name="captcha_0"[^>]*value="([0-9a-f]+)"', html) or re.search(
        r'value="([0-9a-f]+)"[^>]*name="captcha_0"', html
    )
    assert match, "no CAPTCHA on the page"
    hashkey = match.group(1)
    return hashkey, CaptchaStore.objects.get(hashkey=hashkey).response


def signup_data(client: Client, **overrides: str) -> dict[str, str]:
    """A complete, valid signup form as the page offers it, with ``overrides``."""
    response = client.get(SIGNUP_URL)
    assert response.status_code == 200
    hashkey, answer = captcha_from_page(response.content.decode())
    data = {
        "username": "newreader",
        "email": "newreader@example.com",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "captcha_0": hashkey,
        "captcha_1": answer,
    }
    data.update(overrides)
    return data
