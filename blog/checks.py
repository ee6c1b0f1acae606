"""System checks on the blog's settings (registered by ``BlogConfig.ready``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

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
