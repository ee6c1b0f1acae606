"""System checks on the blog's settings (registered by ``BlogConfig.ready``): the
comment limits, the image limits (docs/blog.md, "Comments" and "Images") and the
digest's unsubscribe address (docs/digest.md, "Unsubscribing"), so
``manage.py check`` (and every management command) stops on a value that would refuse
every image, serve none or make a limit meaningless."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from PIL import Image

NON_NEGATIVE = {
    "BLOG_COMMENT_MODERATION_DAYS": "blog.E001",
    "BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT": "blog.E002",
    "BLOG_COMMENTS_PER_HOUR_PER_ADDRESS": "blog.E003",
}


@register()
def comment_settings(app_configs, **kwargs) -> list[CheckMessage]:
    """The comment settings are whole numbers, 0 or more (0 turns each off)."""
    problems: list[CheckMessage] = []
    for name, check_id in NON_NEGATIVE.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                Error(
                    f"{name} must be 0 (off) or a positive whole number, not {value!r}.",
                    id=check_id,
                )
            )
    return problems


@register()
def image_limits(app_configs, **kwargs) -> list[CheckMessage]:
    problems = []
    if settings.BLOG_IMAGE_MAX_BYTES <= 0:
        problems.append(
            Error(
                f"BLOG_IMAGE_MAX_BYTES is {settings.BLOG_IMAGE_MAX_BYTES}: every image "
                "would be refused.",
                hint="Set it to the largest upload in bytes, e.g. 10000000.",
                id="blog.E010",
            )
        )
    # Past twice its own MAX_IMAGE_PIXELS Pillow refuses to open an image at all, so a
    # higher limit would only pretend to accept such images.
    pillow_limit = 2 * Image.MAX_IMAGE_PIXELS
    if not 0 < settings.BLOG_IMAGE_MAX_PIXELS <= pillow_limit:
        problems.append(
            Error(
                f"BLOG_IMAGE_MAX_PIXELS is {settings.BLOG_IMAGE_MAX_PIXELS}; it must be "
                f"above 0 and at most {pillow_limit} (Pillow's decompression-bomb limit).",
                hint="40000000 (40 megapixels) is the default.",
                id="blog.E011",
            )
        )
    if settings.BLOG_MEDIA_SERVE and not settings.MEDIA_URL.startswith("/"):
        problems.append(
            Error(
                f"BLOG_MEDIA_SERVE is on but DJANGO_MEDIA_URL is {settings.MEDIA_URL!r}, "
                "another host: Django cannot serve the images there.",
                hint="Turn BLOG_MEDIA_SERVE off, or set DJANGO_MEDIA_URL to a path like /media/.",
                id="blog.E012",
            )
        )
    return problems


@register()
def unsubscribe_mailto(app_configs, **kwargs) -> list[CheckMessage]:
    """The digest's ``mailto:`` unsubscribe is a bare address: a name, a ``mailto:``
    prefix or a second address would make the List-Unsubscribe header unusable."""
    mailto = settings.REMINDERS_UNSUBSCRIBE_MAILTO
    if not mailto:
        return []
    try:
        validate_email(mailto)
    except ValidationError:
        return [
            Error(
                f"REMINDERS_UNSUBSCRIBE_MAILTO is {mailto!r}, not a bare email address.",
                hint="Set it to an address such as unsubscribe@example.com, or leave it empty.",
                id="blog.E030",
            )
        ]
    return []
