"""The providers' tracking webhooks under /mail/events/ (config/urls.py mounts them only
with ANYMAIL_WEBHOOK_SECRET set): anymail's paths and names, three providers only."""

from django.conf import settings
from django.urls import path

from .webhook_views import AmazonSESTracking, MailgunTracking, PostmarkTracking

app_name = "anymail"
urlpatterns = [
    path(
        "amazon_ses/tracking/",
        AmazonSESTracking.as_view(),
        name="amazon_ses_tracking_webhook",
    ),
    path("postmark/tracking/", PostmarkTracking.as_view(), name="postmark_tracking_webhook"),
]
# Mailgun signs its webhooks; without the key its view could not check them.
if settings.ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY:
    urlpatterns.append(
        path("mailgun/tracking/", MailgunTracking.as_view(), name="mailgun_tracking_webhook")
    )
