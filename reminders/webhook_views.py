"""The providers' tracking webhooks: django-anymail's views, made strict.

What anymail's own views would do that these do not (docs/email.md, "Provider webhooks"):

- run open: without ``ANYMAIL_WEBHOOK_SECRET`` anymail only warns and accepts anyone;
  here the URLs are not mounted (``webhook_urls.py``), and a view reached anyway
  answers 404;
- answer 500 to a body that is not what the provider sends (malformed JSON, a list
  instead of an object, a missing field): here it is a 400, and nothing is recorded;
  a 500 stays what it means to the providers, "try again later" (the database is down);
- fetch a URL from the internet on Amazon SNS's say-so: the SubscriptionConfirmation is
  logged for the operator to confirm instead (and boto3 is not needed).

A wrong or missing secret is a 401 with ``WWW-Authenticate`` (Amazon SNS sends its
credentials only after one); a wrong Mailgun signature is anymail's 400.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESBaseWebhookView, AmazonSESTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)

REALM = 'Basic realm="Lightblog mail events"'


class MalformedWebhook(SuspiciousOperation):
    """A webhook body the provider would not send: Django answers 400."""


@contextmanager
def malformed_is_bad_request(provider: str) -> Iterator[None]:
    try:
        yield
    except SuspiciousOperation:
        raise
    except Exception as error:  # anymail's parsers raise anything on a bad body
        raise MalformedWebhook(f"Malformed {provider} webhook: {error!r}"[:500]) from error


class StrictWebhook:
    """Put before anymail's view class: a secret or 404, 401 for bad credentials, 400
    for a bad body."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.basic_auth:
            raise Http404("No ANYMAIL_WEBHOOK_SECRET: the webhooks are off.")
        given = get_request_basic_auth(request) or ""
        if not any(constant_time_compare(given, secret) for secret in self.basic_auth):
            logger.warning("%s webhook: missing or wrong credentials", self.esp_name)
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = REALM
            return response
        return super().post(request, *args, **kwargs)

    def run_validators(self, request: HttpRequest) -> None:
        with malformed_is_bad_request(self.esp_name):
            super().run_validators(request)

    def parse_events(self, request: HttpRequest) -> list:
        with malformed_is_bad_request(self.esp_name):
            return super().parse_events(request)


class AmazonSESTracking(StrictWebhook, AmazonSESTrackingWebhookView):
    def __init__(self, **kwargs) -> None:
        # AmazonSESBaseWebhookView.__init__ only reads the boto3 parameters of the
        # subscription auto-confirmation, which is off: skip it (boto3 is not installed).
        self.auto_confirm_enabled = False
        self.session_params, self.client_params = {}, {}
        super(AmazonSESBaseWebhookView, self).__init__(**kwargs)

    def auto_confirm_sns_subscription(self, sns_message: dict) -> None:
        logger.warning(
            "Amazon SNS asks to confirm the subscription of topic %s to this webhook. "
            "If it is yours, confirm it in the SNS console or open the SubscribeURL: %s",
            sns_message.get("TopicArn"),
            sns_message.get("SubscribeURL"),
        )


class MailgunTracking(StrictWebhook, MailgunTrackingWebhookView):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if not self.webhook_signing_key:
            # An empty key would make every signature computable by anyone.
            raise ImproperlyConfigured("Set ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY.")


class PostmarkTracking(StrictWebhook, PostmarkTrackingWebhookView):
    pass
