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


class UserLanguageMiddleware:
    """A signed-in user's pages are in the language stored on their account.

    After ``LocaleMiddleware`` (which chose from the switcher's cookie or the browser's
    ``Accept-Language``) and ``AuthenticationMiddleware``. A user who never chose keeps
    what the browser asks for. The language cookie follows the account, so the pages
    stay in it after logging out on this browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if not (user and user.is_authenticated and language):
            return self.get_response(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
