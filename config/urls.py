from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("captcha/", include("captcha.urls")),
    path("api/", include("config.api_router")),
    # Last: the blog's patterns start at the site root.
    path("", include("blog.urls")),
]
