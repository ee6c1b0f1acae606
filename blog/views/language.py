"""The language switcher: Django's ``set_language`` (the cookie, then back to the page),
and for a signed-in user the choice stored on their account (docs/i18n.md).

Visitors' pages are cached and shared (``blog.cache``), so the switcher in their footer
carries no CSRF token, and for them this view only sets the cookie: a forged request can
do no more than change a stranger's language. A signed-in user's pages are never cached;
their form has a token and the view checks it before it writes to the account.
"""

from __future__ import annotations

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@csrf_protect
def _set_language_of_account(request):
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES) and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@csrf_exempt
@require_POST
def set_language(request):
    if request.user.is_authenticated:
        return _set_language_of_account(request)
    return django_set_language(request)
