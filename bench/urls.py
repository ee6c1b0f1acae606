"""The site's own URLs plus ``/bench/trivial/``: the baseline of benchmark 4, a view that
goes through the same middleware and gunicorn worker but touches no database."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("config.urls")),
]
