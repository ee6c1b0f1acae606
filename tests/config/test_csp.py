"""The Content-Security-Policy header (django-csp): on every page, strict, and what the
pages need. That the pages work under it is shown in Chromium (tests/e2e/)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict([*part.strip().split(" ", 1), ""][:2] for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "path", ["/", "/accounts/signup/", "/admin/login/", "/api/posts/", "/feed/", "/nowhere/"]
)
def test_every_answer_carries_the_strict_policy(client, path) -> None:
    directives = policy(client.get(path))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-src"] == "'none'"
    assert directives["form-action"].startswith("'self'")


def test_swagger_ui_has_no_inline_script_and_its_style_carries_the_nonce(client) -> None:
    response = client.get("/api/docs/")
    html = response.content.decode()

    nonce = re.search(r"'nonce-([^']+)'", policy(response)["style-src"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_nonce_is_new_for_every_request(client) -> None:
    first = policy(client.get("/api/docs/"))["style-src"]
    second = policy(client.get("/api/docs/"))["style-src"]

    assert first != second


PRINT_POLICY = (
    "import django; django.setup(); from django.conf import settings; "
    "d = settings.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
    "print(' '.join(d['script-src'])); print(' '.join(d['frame-src']))"
)


def test_recaptchas_script_and_frame_are_allowed_only_when_its_keys_are_set() -> None:
    def sources(**env: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", PRINT_POLICY],
            cwd=BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    without = sources(RECAPTCHA_PUBLIC_KEY="", RECAPTCHA_PRIVATE_KEY="")
    with_keys = sources(RECAPTCHA_PUBLIC_KEY="site", RECAPTCHA_PRIVATE_KEY="secret")

    assert without == ["'self'", "'none'"]
    assert with_keys == [
        "'self' https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/",
        "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/",
    ]
