"""One-click unsubscribe from the digest (RFC 8058, RFC 2369, RFC 2919's List-Id).

A token is the user's pk and the list's name, signed with ``django.core.signing`` under
a salt of its own, so no other signed value of the site (sessions, password resets) is
ever a token, and a token is never anything else. It carries no timestamp and so never
expires: an unsubscribe link in a digest from years ago still works, as mailbox
providers expect. Changing ``SECRET_KEY`` voids every token unless the old key stays in
``SECRET_KEY_FALLBACKS``. The page it opens is ``blog.views.unsubscribe`` (docs/digest.md,
"Unsubscribing").
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "reminders.digest.unsubscribe"
DIGEST = "digest"
# The lists a token may name; a signed token naming another is refused all the same.
LISTS = frozenset({DIGEST})
# A token is about 40 characters; anything much longer is not one (and is not checked).
MAX_TOKEN_LENGTH = 200
ONE_CLICK = "List-Unsubscribe=One-Click"


class InvalidToken(ValueError):
    """Not a token this site made for a list it has: forged, truncated, tampered with,
    signed for another purpose, or naming an unknown list."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def unsubscribe_token(user, list_name: str = DIGEST) -> str:
    """The user's token for ``list_name``: the same string every time (no timestamp)."""
    if list_name not in LISTS:
        raise ValueError(f"no mailing list {list_name!r}")
    return _signer().sign_object([user.pk, list_name])


def read_token(token: str) -> tuple[int, str]:
    """``(user_pk, list_name)`` of a token ``unsubscribe_token`` made; ``InvalidToken``
    for anything else, whatever the input (never another exception)."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise InvalidToken("not an unsubscribe token (length)")
    try:
        value = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError) as error:
        raise InvalidToken("the unsubscribe token's signature does not match") from error
    match value:
        case [int() as user_pk, str() as list_name] if not isinstance(user_pk, bool):
            pass
        case _:
            raise InvalidToken("the unsubscribe token names no user and list")
    if list_name not in LISTS:
        raise InvalidToken(f"the unsubscribe token names an unknown list {list_name!r}")
    return user_pk, list_name


def unsubscribe_url(user, list_name: str = DIGEST) -> str:
    """The absolute address of the user's unsubscribe page, on ``SITE_URL``."""
    path = reverse("blog:unsubscribe", kwargs={"token": unsubscribe_token(user, list_name)})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def list_id(list_name: str = DIGEST) -> str:
    """RFC 2919's List-Id: a name and ``<list.site-host>``, stable across mailings."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f'"Lightblog weekly digest" <{list_name}.{host}>'


def list_headers(user, list_name: str = DIGEST) -> dict[str, str]:
    """The headers that make a digest unsubscribable in one click by the mail client.

    The ``mailto:`` form is offered only when ``REMINDERS_UNSUBSCRIBE_MAILTO`` names a
    mailbox someone reads: an address nobody reads would promise an unsubscribe that
    never happens. Its subject carries the token, so the request names the user.
    """
    url = unsubscribe_url(user, list_name)
    targets = [f"<{url}>"]
    if mailto := settings.REMINDERS_UNSUBSCRIBE_MAILTO:
        subject = quote(f"unsubscribe {unsubscribe_token(user, list_name)}")
        targets.append(f"<mailto:{mailto}?subject={subject}>")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": ONE_CLICK,
        "List-Id": list_id(list_name),
    }
