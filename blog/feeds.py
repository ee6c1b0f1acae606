"""RSS 2.0 (``/feed/``) and Atom (``/feed/atom/``) feeds of the latest published posts."""

import copy

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .models import Post
from .validators import strip_control_characters as xml_safe

FEED_SIZE = 20


class LatestPostsFeed(Feed):
    """Links are made absolute from the host the reader asked for, not from the Sites
    framework's row, so they are right behind any host name without configuration.

    Every stored string is passed through ``xml_safe``: the forms, the API and the
    services refuse control characters, but a row written another way (the ORM, a
    migration, an import) must not make the feed unreadable (Django's feed generator
    raises on them; U+FFFE would make the XML invalid)."""

    title = "Lightblog"
    description = "The latest posts on Lightblog."
    feed_url_name = "blog:feed"
    request = None

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every thread: each request gets its own copy.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def link(self) -> str:
        return self.absolute(reverse("blog:home"))

    def feed_url(self) -> str:
        return self.absolute(reverse(self.feed_url_name))

    def item_link(self, item: Post) -> str:
        return self.absolute(item.get_absolute_url())

    def items(self):
        return (
            Post.objects.published().select_related("author").prefetch_related("tags")[:FEED_SIZE]
        )

    def item_title(self, item: Post) -> str:
        return xml_safe(item.title)

    def item_description(self, item: Post) -> str:
        # Already sanitized when the post was saved; the feed escapes it as text.
        return xml_safe(item.html)

    def item_pubdate(self, item: Post):
        return item.publish_date

    def item_updateddate(self, item: Post):
        return item.updated

    def item_author_name(self, item: Post) -> str:
        return xml_safe(item.author.get_username())

    def item_categories(self, item: Post) -> list[str]:
        return [xml_safe(tag.title) for tag in item.tags.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description
    feed_url_name = "blog:feed_atom"
