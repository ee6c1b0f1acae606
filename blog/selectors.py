"""Reads of the blog that more than one door needs: the pages, the API, the digest.

The reminders' weekly digest reads the blog only through this module (import-linter
checks it), so what it may see of posts and users is written down here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .cache import content_cache_key, content_cache_set
from .models import Comment, CommentStatus, Post, Tag, User
from .permissions import can_moderate_comments
from .search import SearchQuery, SearchResults

SIDEBAR_SIZE = 5


# TAGS AND THEIR POSTS
# ------------------------------------------------------------------------------
# A tag's published posts are all its links less its links to posts not yet
# published (scheduled or drafts): the first is a GROUP BY on the link table's tag
# index alone, the second reads only the unpublished posts. Joining every link to its
# post for the publish date took 45-160 ms at 30,000 links on MariaDB; this takes about 5 ms.
def _links():
    return Post.tags.through.objects.order_by()


def _scheduled_links(now: datetime):
    return _links().filter(Q(post__publish_date__gt=now) | Q(post__is_draft=True))


def tag_post_counts(now: datetime) -> Counter[int]:
    """Published posts per tag id (tags without any are left out)."""
    counts = Counter(dict(_links().values_list("tag_id").annotate(n=Count("*"))))
    counts.subtract(dict(_scheduled_links(now).values_list("tag_id").annotate(n=Count("*"))))
    return +counts  # drops the tags left at zero


def tags_with_post_counts(now: datetime) -> QuerySet[Tag]:
    """Every tag with ``post_count``, its published posts, in the tag's own row: the
    two counts above as subqueries on the link table, evaluated only for the rows
    the query returns (a page of the API's tag list)."""

    def count(links) -> Coalesce:
        per_tag = links.filter(tag_id=OuterRef("pk")).values("tag_id").annotate(n=Count("*"))
        return Coalesce(Subquery(per_tag.values("n")), Value(0), output_field=IntegerField())

    return Tag.objects.annotate(post_count=count(_links()) - count(_scheduled_links(now)))


def top_tags(now: datetime, size: int) -> list[Tag]:
    """The ``size`` tags with the most published posts (``num_posts``), most first, then
    by title."""
    counts = tag_post_counts(now)
    ranked = sorted(counts.values(), reverse=True)
    if not ranked:
        return []
    # Every tag tied with the last one shown, so that the title decides between them.
    least = ranked[min(size, len(ranked)) - 1]
    tags = list(Tag.objects.filter(pk__in=[pk for pk, n in counts.items() if n >= least]))
    for tag in tags:
        tag.num_posts = counts[tag.pk]
    tags.sort(key=lambda tag: (-tag.num_posts, tag.title))
    return tags[:size]


def sidebar() -> dict:
    """The sidebar of every list page: four queries, whatever the number of posts.

    Counting every tag's posts reads the whole post-tag table (about 5 ms at 30,000
    links on MariaDB), so the sidebar is kept in the cache, signed-in readers included,
    until the content changes (``blog.cache``); it is anonymous data.
    """
    key = content_cache_key("sidebar")
    if key is not None and (cached := cache.get(key)) is not None:
        return cached
    context = {
        "recent_posts": list(
            Post.objects.published().only("title", "slug", "publish_date")[:SIDEBAR_SIZE]
        ),
        "top_tags": top_tags(timezone.now(), SIDEBAR_SIZE),
    }
    if key is not None:
        content_cache_set(key, context)
    return context


# LISTS OF POSTS
# ------------------------------------------------------------------------------
def posts_listed() -> QuerySet[Post]:
    """Published posts as every list shows them: with the stored excerpt, the full
    text and HTML left in the database."""
    return Post.objects.published().for_listing().defer("text", "html")


def posts_matching(query: SearchQuery, *, with_text: bool = False) -> SearchResults:
    """Published posts matching the query, best first (``blog.search``), for a paginator;
    ``with_text`` reads the Markdown and HTML too (the API shows them)."""
    posts = Post.objects.published().for_listing() if with_text else posts_listed()
    return SearchResults(query, posts)


def posts_of_author(author: User) -> QuerySet[Post]:
    """Every post of the author, drafts and scheduled ones too, most recently changed
    first: their own "My posts" page."""
    return (
        Post.objects.filter(author=author)
        .for_listing()
        .defer("text", "html")
        .order_by("-updated", "-id")
    )


# COMMENTS
# ------------------------------------------------------------------------------
def post_comments(post: Post, user) -> QuerySet[Comment]:
    """The post's comments this user sees, oldest first, with their users joined:
    ``blog.permissions.can_view_comment`` as a query (the API; the post's page keeps
    every comment in its cached fragment and asks ``can_view_comment`` of each)."""
    comments = post.comments.select_related("user")
    if can_moderate_comments(user):
        return comments
    visible = Q(status=CommentStatus.PUBLISHED)
    if user.is_authenticated and user.is_active:
        visible |= Q(status=CommentStatus.HELD, user=user)
    return comments.filter(visible)


# FOR THE WEEKLY DIGEST (reminders.digest)
# ------------------------------------------------------------------------------
def posts_published_between(start: datetime, end: datetime, *, limit: int) -> list[Post]:
    """Posts published in ``[start, end)``, oldest first, with their authors."""
    return list(
        Post.objects.published()
        .filter(publish_date__gte=start, publish_date__lt=end)
        .select_related("author")
        .order_by("publish_date", "pk")[:limit]
    )


def digest_recipients(*, after: int | None = None) -> QuerySet[User]:
    """Active users who opted in to the digest, in primary-key order (from ``after``),
    with only what an email to them needs."""
    users = User.objects.filter(receives_digest=True, is_active=True).order_by("pk")
    if after is not None:
        users = users.filter(pk__gt=after)
    return users.only("pk", "username", "email", "language")
