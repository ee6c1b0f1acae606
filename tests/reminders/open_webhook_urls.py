"""A URLconf that routes anymail's own webhooks as its docs show: open without a secret."""

from django.urls import include, path

urlpatterns = [path("anymail/", include("anymail.urls"))]
