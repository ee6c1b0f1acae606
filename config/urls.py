from allauth.decorators import rate_limit
from django.contrib import admin
from django.urls import include, path

from config import email_addresses, health, metrics

urlpatterns = [
    # Operators' endpoints (docs/monitoring.md): no trailing slash, as probes expect.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The admin's login counts against the same per-address login limit as allauth's
    # (ACCOUNT_RATE_LIMIT_LOGIN), besides the lockout of all three doors (docs/security.md).
    path("admin/login/", rate_limit(action="login")(admin.site.login)),
    path("admin/", admin.site.urls),
    # allauth's email page, with "Make primary" refusing another account's address.
    path("accounts/email/", email_addresses.EmailView.as_view(), name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("captcha/", include("captcha.urls")),
    path("api/", include("config.api_router")),
    # Last: the blog's patterns start at the site root.
    path("", include("blog.urls")),
]
