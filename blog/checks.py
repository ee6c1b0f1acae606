"""System checks on the blog's image settings (docs/blog.md, "Images").

Registered when BlogConfig.ready() imports this module, so ``manage.py check`` (and
every management command) stops on limits that would refuse every image or serve none.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from PIL import Image


@register()
def image_limits(app_configs, **kwargs) -> list[CheckMessage]:
    problems = []
    if settings.BLOG_IMAGE_MAX_BYTES <= 0:
        problems.append(
            Error(
                f"BLOG_IMAGE_MAX_BYTES is {settings.BLOG_IMAGE_MAX_BYTES}: every image "
                "would be refused.",
                hint="Set it to the largest upload in bytes, e.g. 10000000.",
                id="blog.E010",
            )
        )
    # Past twice its own MAX_IMAGE_PIXELS Pillow refuses to open an image at all, so a
    # higher limit would only pretend to accept such images.
    pillow_limit = 2 * Image.MAX_IMAGE_PIXELS
    if not 0 < settings.BLOG_IMAGE_MAX_PIXELS <= pillow_limit:
        problems.append(
            Error(
                f"BLOG_IMAGE_MAX_PIXELS is {settings.BLOG_IMAGE_MAX_PIXELS}; it must be "
                f"above 0 and at most {pillow_limit} (Pillow's decompression-bomb limit).",
                hint="40000000 (40 megapixels) is the default.",
                id="blog.E011",
            )
        )
    if settings.BLOG_MEDIA_SERVE and not settings.MEDIA_URL.startswith("/"):
        problems.append(
            Error(
                f"BLOG_MEDIA_SERVE is on but DJANGO_MEDIA_URL is {settings.MEDIA_URL!r}, "
                "another host: Django cannot serve the images there.",
                hint="Turn BLOG_MEDIA_SERVE off, or set DJANGO_MEDIA_URL to a path like /media/.",
                id="blog.E012",
            )
        )
    return problems
