"""RSS 2.0 and Atom feeds of the latest published posts: the whole site's
(``/feed/``, ``/feed/atom/``), a tag's (``/tag/<slug>/feed/``) and an author's
(``/user/<username>/feed/``), each also in Atom (``…/feed/atom/``)."""

import copy

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .models import Post, Tag, User
from .seo import absolutize_links
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
        return self.posts()[:FEED_SIZE]

    def posts(self):
        return Post.objects.published().select_related("author").prefetch_related("tags")

    def item_title(self, item: Post) -> str:
        return xml_safe(item.title)

    def item_description(self, item: Post) -> str:
        # Already sanitized when the post was saved; the feed escapes it as text.
        # Readers show it away from the site: its links must be absolute.
        return xml_safe(absolutize_links(item.html, self.item_link(item)))

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


class TagPostsFeed(LatestPostsFeed):
    """The latest published posts with one tag; an unknown tag is a 404."""

    feed_url_name = "blog:tag_feed"

    def get_object(self, request, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag: Tag) -> str:
        return xml_safe(_("Lightblog: posts tagged “%s”") % tag.title)

    def description(self, tag: Tag) -> str:
        return xml_safe(_("The latest posts tagged “%s” on Lightblog.") % tag.title)

    subtitle = description

    def link(self, tag: Tag) -> str:
        return self.absolute(tag.get_absolute_url())

    def feed_url(self, tag: Tag) -> str:
        return self.absolute(reverse(self.feed_url_name, kwargs={"slug": tag.slug}))

    def items(self, tag: Tag):
        return self.posts().filter(tags=tag)[:FEED_SIZE]


class TagPostsAtomFeed(TagPostsFeed):
    feed_type = Atom1Feed
    feed_url_name = "blog:tag_feed_atom"


class AuthorPostsFeed(LatestPostsFeed):
    """The latest published posts of one author; an unknown user is a 404."""

    feed_url_name = "blog:author_feed"

    def get_object(self, request, username: str) -> User:
        return get_object_or_404(User, username=username)

    def title(self, author: User) -> str:
        return xml_safe(_("Lightblog: posts by %s") % author.get_username())

    def description(self, author: User) -> str:
        return xml_safe(_("The latest posts by %s on Lightblog.") % author.get_username())

    subtitle = description

    def link(self, author: User) -> str:
        return self.absolute(author.get_absolute_url())

    def feed_url(self, author: User) -> str:
        return self.absolute(
            reverse(self.feed_url_name, kwargs={"username": author.get_username()})
        )

    def items(self, author: User):
        return self.posts().filter(author=author)[:FEED_SIZE]


class AuthorPostsAtomFeed(AuthorPostsFeed):
    feed_type = Atom1Feed
    feed_url_name = "blog:author_feed_atom"
