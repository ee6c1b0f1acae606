"""``{% json_ld data %}``: a ``<script type="application/ld+json">`` block.

Escaped as Django's ``json_script`` escapes (``<``, ``>`` and ``&`` as ``\\u`` escapes),
so no post title can close the element. A data block is not executed: the strict
Content-Security-Policy does not apply to it and it needs no nonce.
"""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import seo

register = template.Library()

_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data: dict) -> str:
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.simple_tag
def post_json_ld(post) -> str:
    """The ``BlogPosting`` of a published post (``blog.seo.post_json_ld``)."""
    return json_ld(seo.post_json_ld(post))


@register.simple_tag
def post_image(post):
    """The post's first image, for OpenGraph and Twitter cards (``blog.seo.post_image``)."""
    return seo.post_image(post)


@register.filter
def meta_description(html: str) -> str:
    """Stored HTML as the plain text of a ``<meta name="description">``."""
    return seo.description(html)


@register.simple_tag
def absolute_url(path: str) -> str:
    """``path`` on the site's public address (``SITE_URL``)."""
    return seo.absolute(path)
