"""Uploaded images served by Django (``BLOG_MEDIA_SERVE``, docs/blog.md, "Images").

Only names the blog generates are served (``images/<32 hex>[-<width>].<ext>``), read
through ``STORAGES["default"]``, with the Content-Type of their extension (which is the
format Pillow found and wrote, never the uploader's word) and ``nosniff``: a browser
never runs a stored file as a page or a script.
"""

from __future__ import annotations

import re

from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from ..images import CONTENT_TYPES

MEDIA_NAME = re.compile(r"images/[0-9a-f]{32}(?:-[0-9]{1,4})?\.(?P<extension>[a-z]{3,4})")


@require_safe
def media_file(request: HttpRequest, name: str) -> FileResponse:
    match = MEDIA_NAME.fullmatch(name)
    if match is None or match["extension"] not in CONTENT_TYPES:
        raise Http404("No such file")
    try:
        file = storages["default"].open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404("No such file") from error
    response = FileResponse(file, content_type=CONTENT_TYPES[match["extension"]])
    response["X-Content-Type-Options"] = "nosniff"
    # A name is never reused: a new upload gets a new one.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
