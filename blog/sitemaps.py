"""``/sitemap.xml``: published posts, the tags and the authors that have some, each
with the time of its latest change. Drafts and scheduled posts are in none of them.

Addresses are on ``SITE_URL`` (``blog.seo``), not on the Sites row or the request.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.utils import timezone

from . import seo
from .models import Post, Tag, User


class SiteSitemap(Sitemap):
    """A sitemap whose addresses are on ``SITE_URL``."""

    def get_protocol(self, protocol=None) -> str:
        return seo.site_parts()[0]

    def get_domain(self, site=None) -> str:
        return seo.site_parts()[1]


class PostSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return Post.objects.published().only("slug", "updated").order_by("-publish_date", "-id")

    def lastmod(self, post: Post):
        return post.updated


class WithPostsSitemap(SiteSitemap):
    """The rows of ``model`` (tags, authors) that have a published post, each with
    the latest change among those posts."""

    model: type[Tag] | type[User]
    field: str

    def items(self):
        published = Q(posts__is_draft=False, posts__publish_date__lte=timezone.now())
        return (
            self.model.objects.annotate(lastmod=Max("posts__updated", filter=published))
            .filter(lastmod__isnull=False)
            .only(self.field)
            .order_by(self.field)
        )

    def lastmod(self, item):
        return item.lastmod


class TagSitemap(WithPostsSitemap):
    changefreq = "daily"
    model, field = Tag, "slug"


class AuthorSitemap(WithPostsSitemap):
    changefreq = "weekly"
    model, field = User, "username"


SITEMAPS = {"posts": PostSitemap, "tags": TagSitemap, "authors": AuthorSitemap}
