"""The API's request parsers: DRF's, bounded in size and in nesting.

Apart from ``config/api.py`` because DRF imports ``DEFAULT_PARSER_CLASSES`` while its
settings load, which ``config/api.py`` (importing simplejwt's views) would make a cycle.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def body_limit_message() -> str:
    return (
        f"The request body is larger than the limit of "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE)."
    )


def read_bounded(stream, parser_context: dict[str, Any] | None) -> bytes:
    """The whole body, refused with ``RequestDataTooBig`` past ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    DRF's parsers read the request stream directly, where Django's limit (checked only by
    ``request.body`` and ``request.POST``) does not apply; this applies it, before reading
    when the client announced the length, else after reading one byte past it.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {})
    try:
        announced = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        raise RequestDataTooBig(body_limit_message())
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig(body_limit_message())
    return body


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded in size (``read_bounded``) and in nesting.

    ``json`` raises ``RecursionError`` past about a thousand nested arrays or objects;
    that is bad input (a 400), not a server error.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = io.BytesIO(read_bounded(stream, parser_context))
        try:
            return super().parse(body, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class FormParser(parsers.FormParser):
    """DRF's form parser, bounded in size like the JSON parser."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = io.BytesIO(read_bounded(stream, parser_context))
        return super().parse(body, media_type, parser_context)
