"""System checks on the blog's settings (ids blog.E020 to blog.E029: the rendering budget).

Registered when BlogConfig.ready() imports this module.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# Fewer steps than this refuse ordinary posts: 1,000 words with a link and some
# emphasis in every sentence take about 1,200.
MIN_MARKDOWN_STEPS = 2_000


@register()
def markdown_budget(app_configs, **kwargs) -> list[CheckMessage]:
    """A budget too small to render ordinary posts would refuse them all."""
    steps = settings.BLOG_MARKDOWN_MAX_STEPS
    if steps < MIN_MARKDOWN_STEPS:
        return [
            Error(
                f"BLOG_MARKDOWN_MAX_STEPS is {steps}: below {MIN_MARKDOWN_STEPS:,} "
                "ordinary posts are refused as too much Markdown.",
                hint='Leave it unset (20,000) or raise it (docs/security.md, "Bounded rendering").',
                id="blog.E020",
            )
        ]
    return []
