"""The digest's email: the one module of the reminders app that links into the blog."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from ..mail.messages import BatchEmail
from ..models import DigestRun
from .unsubscribe import list_headers, unsubscribe_url


def digest_email(run: DigestRun, posts: list, user) -> BatchEmail:
    """The digest of ``run``'s week for ``user``: the posts with absolute links, in the
    user's language (the site's default when they never chose one)."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        return _digest_email(run, posts, user)


def _digest_email(run: DigestRun, posts: list, user) -> BatchEmail:
    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "posts": [(post, f"{site}{post.get_absolute_url()}") for post in posts],
        "week": run.week,
        "settings_url": f"{site}{reverse('blog:account_settings')}",
        "unsubscribe_url": unsubscribe_url(user),
        "site_url": site,
    }
    count = len(posts)
    message = BatchEmail(
        subject=ngettext(
            "This week on Lightblog: %(count)d new post",
            "This week on Lightblog: %(count)d new posts",
            count,
        )
        % {"count": count},
        body=render_to_string("reminders/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # One-click unsubscribe and List-Id (docs/digest.md, "Unsubscribing"). The
        # outbox gives each copy a Message-ID naming its row (services/outbox.py).
        headers=list_headers(user),
    )
    message.attach_alternative(
        render_to_string("reminders/email/digest.html", context), "text/html"
    )
    return message
