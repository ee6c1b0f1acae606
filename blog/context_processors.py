"""Template context for every page: its canonical address and the site's description
(``blog.seo``), for the ``<head>`` of ``base.html``."""

from __future__ import annotations

from django.http import HttpRequest

from . import seo


def canonical_path(request: HttpRequest) -> str:
    """The page's path with only the query that changes what it shows: ``?page=N``
    past the first page. Tracking parameters and the like are dropped."""
    page = request.GET.get("page", "")
    if page.isdigit() and int(page) > 1:
        return f"{request.path}?page={int(page)}"
    return request.path


def page_meta(request: HttpRequest) -> dict:
    return {
        "canonical_url": seo.absolute(canonical_path(request)),
        "site_description": seo.SITE_DESCRIPTION,
        "site_name": seo.SITE_NAME,
    }
