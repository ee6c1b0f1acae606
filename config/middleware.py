"""Middleware of the project as a whole (not of one app)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PlainHeaderValuesMiddleware:
    """Every response header value a plain ``str``, whoever set it.

    WSGI (PEP 3333) asks for ``str`` values, and the development server's ``wsgiref``
    checks ``type(value) is str``: a ``str`` subclass, such as DRF's ``Hyperlink`` (what a
    ``HyperlinkedIdentityField`` gives, used for ``Location``), made it answer 500 after
    the row was created, while gunicorn and the test client let it through. First in
    ``MIDDLEWARE``, so it sees the response last.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in list(response.items()):
            if type(value) is not str:
                response[name] = str(value)
        return response
