"""One-click unsubscribe from the weekly digest: ``/unsubscribe/<token>/`` (RFC 8058).

The digest's ``List-Unsubscribe`` header and its footer name this page
(``reminders.digest.unsubscribe``). A mail client POSTs ``List-Unsubscribe=One-Click``
with no cookie and no CSRF token: the digest is off at once and the answer is 200. A
GET changes nothing (link scanners fetch every link in an email); it shows a button
that makes the same POST. Anything else is a 400 that changes nothing.

The page is about the token's owner, not whoever may be signed in on this browser, so it
is rendered as for a visitor: no CSRF token, hence no cookie is set, and it is never
cached (``never_cache``; it is not one of ``blog.cache``'s pages).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reminders.digest.unsubscribe import DIGEST, InvalidToken, read_token

from ..models import User
from ..services import user_digest_unsubscribe

# RFC 8058 §3.1: the two encodings a client may POST the one-click body in.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
ONE_CLICK = [("List-Unsubscribe", ["One-Click"])]


def _is_one_click(request: HttpRequest) -> bool:
    """The body is the form ``List-Unsubscribe=One-Click`` and nothing else."""
    if request.content_type not in FORM_TYPES:
        return False
    try:
        return list(request.POST.lists()) == ONE_CLICK and not request.FILES
    except (MultiPartParserError, SuspiciousOperation):
        # A broken multipart body, too many fields, too large: not a one-click request.
        return False


def _token_owner(token: str) -> User | None:
    try:
        user_pk, list_name = read_token(token)
    except InvalidToken:
        return None
    if list_name != DIGEST:  # the one list this page turns off
        return None
    return User.objects.filter(pk=user_pk).only("pk", "language", "receives_digest").first()


def _page(request: HttpRequest, template: str, status: int = 200, **context) -> HttpResponse:
    # ``user`` as a visitor: base.html then renders no CSRF token (no cookie is set).
    return render(request, template, {"user": AnonymousUser(), **context}, status=status)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = _token_owner(token)
    if user is None:
        return _page(request, "blog/unsubscribe_invalid.html", 400, reason="token")
    # The digest came in the user's language; so does the page, unless they never chose.
    with translation.override(user.language or translation.get_language()):
        if request.method != "POST":
            return _page(request, "blog/unsubscribe.html", done=not user.receives_digest)
        if not _is_one_click(request):
            return _page(request, "blog/unsubscribe_invalid.html", 400, reason="body")
        user_digest_unsubscribe(user=user)
        return _page(request, "blog/unsubscribe.html", done=True, posted=True)
