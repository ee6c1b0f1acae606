"""One lockout policy for the three login doors: allauth's ``/accounts/login/``, the
admin's ``/admin/login/`` and the API's ``/api/auth/token/``.

django-axes counts failed logins per account and client address (in the database, so
every web process sees the same count) and, past ``LOGIN_LOCKOUT_FAILURES`` of them,
refuses that account from that address for ``LOGIN_LOCKOUT_MINUTES``
(components/accounts.py, docs/security.md "Login lockout"). Every door authenticates
through ``django.contrib.auth.authenticate``, so the backend below sees them all; the
address is ``config.client_ip.client_ip``'s, like every other limit's.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import ngettext


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, for logins that come through a request only.

    ``authenticate()`` without a request (``Client.login()`` in a test, a script in the
    shell) is no door an attacker can knock at: it is left to the other backends
    instead of failing with axes' "requires a request".
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_identifier(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a login names, the same at every door: the username or the email
    (allauth accepts both), stripped and lower-cased.

    ``credentials`` are what the door passed to ``authenticate()``; without them (axes
    asks once more when it answers a lockout) the posted form or JSON body is read.
    """
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None:
        data = getattr(request, "data", None)
        if data is None:
            data = getattr(request, "POST", {})
        try:
            value = data.get("username") or data.get("login")
        except AttributeError:  # a JSON body that is a list, a number...
            value = None
    if not isinstance(value, str):
        return None
    # Logged by axes as it is: no control character may forge a log line.
    value = "".join(c if c.isprintable() else "?" for c in value.strip().lower()[:255])
    if "@" in value:
        # allauth's form takes the email too: count it against the account it names, so
        # that alternating the username and the email buys no extra guesses.
        user = get_user_model().objects.filter(email__iexact=value).only("username").first()
        if user is not None:
            value = user.get_username().lower()
    return value or None


def login_succeeded(request: HttpRequest, user) -> None:
    """A door that signs no session in (the API's token endpoint) reports its good
    password here, so it resets the count as a page login does."""
    AxesProxyHandler.user_logged_in(sender=None, request=request, user=user)


def lockout_message(request: HttpRequest | None = None) -> str:
    minutes = int(get_cool_off(request).total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    return ngettext(
        "Too many failed login attempts: this account is locked from your address for "
        "%(minutes)d minute. Try again later, or reset your password.",
        "Too many failed login attempts: this account is locked from your address for "
        "%(minutes)d minutes. Try again later, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """axes' answer to a locked-out login: 429, JSON for the API, a page for the others."""
    message = lockout_message(request)
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    html = render_to_string("429_login.html", {"message": message}, request=request)
    return HttpResponse(html, status=status)
