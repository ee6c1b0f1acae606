from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from blog import views as blog_views
from blog.views.media import media_file
from config import health, metrics

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
