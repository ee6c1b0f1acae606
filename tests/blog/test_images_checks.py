"""The system checks on the image settings (blog/checks.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from blog.checks import image_limits
from tests.conftest import BASE_DIR


def ids() -> list[str]:
    return [problem.id for problem in image_limits(None)]


def test_the_defaults_pass() -> None:
    assert ids() == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BLOG_IMAGE_MAX_BYTES", 0, "blog.E010"),
        ("BLOG_IMAGE_MAX_PIXELS", 0, "blog.E011"),
        ("BLOG_IMAGE_MAX_PIXELS", 10**9, "blog.E011"),
        ("MEDIA_URL", "https://cdn.example/media/", "blog.E012"),
    ],
)
def test_a_setting_that_refuses_or_serves_nothing_stops_check(
    settings, name, value, expected
) -> None:
    setattr(settings, name, value)

    assert ids() == [expected]
    with pytest.raises(SystemCheckError, match=expected):
        call_command("check")


def test_a_cdn_media_url_is_fine_when_django_does_not_serve_it(settings) -> None:
    settings.MEDIA_URL = "https://cdn.example/media/"
    settings.BLOG_MEDIA_SERVE = False

    assert ids() == []


def settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_absolute_media_url_is_allowed_by_the_csp_img_src() -> None:
    code = (
        "from django.conf import settings; "
        "print(settings.MEDIA_URL, *settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )

    cdn = settings_in_subprocess(
        code, DJANGO_MEDIA_URL="https://cdn.example/blog/media/", BLOG_MEDIA_SERVE="false"
    )
    default = settings_in_subprocess(code)

    assert cdn.returncode == 0, cdn.stderr
    assert cdn.stdout.strip() == "https://cdn.example/blog/media/ 'self' data: https://cdn.example"
    assert default.stdout.strip() == "/media/ 'self' data:"
