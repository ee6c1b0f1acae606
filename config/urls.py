from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from blog.views.media import media_file
from config import health, metrics

urlpatterns = [
    # Operators' endpoints (docs/monitoring.md): no trailing slash, as probes expect.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("captcha/", include("captcha.urls")),
    path("api/", include("config.api_router")),
]
# Uploaded images, unless the web server or an object store serves MEDIA_URL
# (docs/blog.md, "Images").
if settings.BLOG_MEDIA_SERVE and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", media_file))
urlpatterns += [
    # Last: the blog's patterns start at the site root.
    path("", include("blog.urls")),
]
