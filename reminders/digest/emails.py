"""The digest's email: the one module of the reminders app that links into the blog."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..mail.messages import BatchEmail, message_id_domain
from ..models import DigestRun


def digest_email(run: DigestRun, posts: list, user) -> BatchEmail:
    """The digest of ``run``'s week for ``user``: the posts with absolute links."""
    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "posts": [(post, f"{site}{post.get_absolute_url()}") for post in posts],
        "week": run.week,
        "settings_url": f"{site}{reverse('blog:account_settings')}",
        "site_url": site,
    }
    domain = message_id_domain(settings.DEFAULT_FROM_EMAIL)
    count = len(posts)
    message = BatchEmail(
        subject=f"This week on Lightblog: {count} new post{'s' if count != 1 else ''}",
        body=render_to_string("reminders/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # One per user and week: a receiving server can recognise a repeat.
        headers={"Message-ID": f"<digest.{run.week:%Y%m%d}.{user.pk}@{domain}>"},
    )
    message.attach_alternative(
        render_to_string("reminders/email/digest.html", context), "text/html"
    )
    return message
