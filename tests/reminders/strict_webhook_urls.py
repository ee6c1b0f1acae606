"""The site's URLconf with the project's webhooks routed whatever the settings say."""

from django.urls import include, path

urlpatterns = [
    path("mail/events/", include("reminders.webhook_urls")),
    path("", include("config.urls")),
]
