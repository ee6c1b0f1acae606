"""Everything under ``/api/``: tokens, the OpenAPI schema and docs, and each app's endpoints."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import TokenObtainView, TokenRefreshThrottledView

app_name = "api"

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshThrottledView.as_view(), name="token-refresh"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its script served apart from the page: no inline script under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include("blog.api.urls")),
    path("", include("reminders.api.urls")),
]
