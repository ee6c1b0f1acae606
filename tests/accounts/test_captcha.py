"""The self-hosted CAPTCHA a person can use: a picture described for screen readers, a
"New picture" button, and the letters read aloud when flite is installed."""

from __future__ import annotations

import json
import re

import pytest
from captcha.models import CaptchaStore

from tests.accounts.conftest import SIGNUP_URL
from tests.conftest import require_binary

pytestmark = pytest.mark.django_db


def test_the_picture_is_described_and_can_be_replaced(client, monkeypatch):
    # django-simple-captcha reads its settings once, at import.
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_FLITE_PATH", None)

    html = client.get(SIGNUP_URL).content.decode()

    image = re.search(r'<img src="/captcha/image/[0-9a-f]+/"[^>]*>', html)[0]
    assert 'alt="Five letters to type, drawn distorted in a picture"' in image
    assert 'width="150" height="50"' in image
    # Shown by blog/static/blog/captcha.js: without JavaScript it would do nothing.
    assert re.search(
        r'<button type="button" class="[^"]*captcha-refresh[^"]*" hidden>New picture</button>', html
    )
    assert '<script src="/static/blog/captcha.js" defer></script>' in html
    assert "captcha-audio" not in html


def test_a_new_picture_is_a_new_challenge(client):
    html = client.get(SIGNUP_URL).content.decode()
    old_key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)[1]

    response = client.get("/captcha/refresh/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")

    challenge = json.loads(response.content)
    assert challenge["key"] != old_key
    assert CaptchaStore.objects.filter(hashkey=challenge["key"]).exists()
    assert challenge["image_url"] == f"/captcha/image/{challenge['key']}/"


def test_the_letters_can_be_heard(client, monkeypatch):
    monkeypatch.setattr(
        "captcha.conf.settings.CAPTCHA_FLITE_PATH", require_binary("flite", "flite")
    )
    html = client.get(SIGNUP_URL).content.decode()
    link = re.search(r'<a class="captcha-audio" href="(/captcha/audio/[0-9a-f]+\.wav)">', html)
    assert link, "no audio link beside the picture"

    response = client.get(link[1])

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:4]
        == b"RIFF"
    )
