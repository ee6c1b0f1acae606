"""RSS 2.0 (``/feed/``) and Atom (``/feed/atom/``) feeds of the latest published posts."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from .models import Post

FEED_SIZE = 20


class LatestPostsFeed(Feed):
    title = "Lightblog"
    link = reverse_lazy("blog:home")
    description = "The latest posts on Lightblog."
    feed_url = reverse_lazy("blog:feed")

    def items(self):
        return (
            Post.objects.published().select_related("author").prefetch_related("tags")[:FEED_SIZE]
        )

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        # Already sanitized when the post was saved; the feed escapes it as text.
        return item.html

    def item_pubdate(self, item: Post):
        return item.publish_date

    def item_updateddate(self, item: Post):
        return item.updated

    def item_author_name(self, item: Post) -> str:
        return item.author.get_username()

    def item_categories(self, item: Post) -> list[str]:
        return [tag.title for tag in item.tags.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description
    feed_url = reverse_lazy("blog:feed_atom")
