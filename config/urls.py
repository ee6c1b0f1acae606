from allauth.decorators import rate_limit
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from blog import views as blog_views
from blog.views.media import media_file
from config import email_addresses, health, metrics

admin.site.site_header = "Lightblog administration"
admin.site.site_title = "Lightblog admin"
admin.site.index_title = "Posts, people and email"

urlpatterns = [
    # Browsers ask for /favicon.ico where a page names no icon (the admin, the API docs).
    path("favicon.ico", blog_views.favicon, name="favicon"),
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
]
# Uploaded images, unless the web server or an object store serves MEDIA_URL
# (docs/blog.md, "Images").
if settings.BLOG_MEDIA_SERVE and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", media_file))
# Providers' bounce and complaint webhooks (docs/email.md, "Provider webhooks"): only
# with a secret, since anymail would accept anyone's events without one.
if settings.ANYMAIL_WEBHOOK_SECRET:
    urlpatterns.append(path("mail/events/", include("reminders.webhook_urls")))
urlpatterns += [
    # Last: the blog's patterns start at the site root.
    path("", include("blog.urls")),
]
