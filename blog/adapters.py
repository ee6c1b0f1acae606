"""allauth adapters: what registering means on Lightblog.

Both ways to register (the signup form and a first third-party login) end in
``blog.services.user_onboard`` inside the transaction that saves the user, so a user
never exists without their role and their welcome reminder.
"""

from __future__ import annotations

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.db import transaction
from django.utils import translation

from config.client_ip import client_ip
from config.email_addresses import release_unverified_claims

from .services import user_onboard

logger = logging.getLogger(__name__)


def user_language(request) -> str:
    """The language of the request when it is one of the site's, else "" (the
    browser's, whatever it asks for later)."""
    language = getattr(request, "LANGUAGE_CODE", "") or translation.get_language()
    return language if language in dict(settings.LANGUAGES) else ""


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # allauth's rate limits key on this: the one reading of the client's address
        # every limit shares (TRUSTED_PROXY_COUNT). allauth's own raises
        # ImproperlyConfigured, a 500, when X-Forwarded-For is shorter than expected.
        return client_ip(request)

    def save_user(self, request, user, form, commit=True):
        if not commit:
            return super().save_user(request, user, form, commit=False)
        # The language the visitor reads the site in becomes their account's: their
        # welcome and every later email are in it (docs/i18n.md).
        user.language = user_language(request)
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=True)
            # Someone else's unverified claim on this address ends here.
            release_unverified_claims(user)
            user_onboard(user=user)
        return user

    def send_mail(self, template_prefix, email, context) -> None:
        # A confirmation or reset email that cannot be sent right now must not turn a
        # finished signup into an error page: the user exists and is signed in, and can
        # ask for the email again from their email settings.
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send %s to %s", template_prefix, email)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        sociallogin.user.language = user_language(request)
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form=form)
            if form is None:
                # With a form, the account adapter's save_user above has onboarded them.
                user_onboard(user=user)
        return user
