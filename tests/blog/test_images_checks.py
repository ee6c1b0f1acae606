"""The system checks on the image settings (blog/checks.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from blog.checks import image_limits


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
