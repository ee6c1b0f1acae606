"""Search of published posts (title, text, tags), in English and Chinese alike.

The index is one table, ``blog_postsearch`` (``backends`` says what it is per database),
kept in step by ``blog.services`` (``post_index``, ``post_unindex``) in the same
transaction as the post; ``manage.py rebuild_search_index`` makes it again from the posts.
``SearchResults`` is what the page and the API paginate: a count and a page, a fixed
number of queries whatever the number of posts. See ``docs/blog.md``, "Search".
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from blog.models import Post

from .backends import TABLE, Document, backend
from .text import SearchQuery, excerpt, highlight, parse_query, plain_text

__all__ = [
    "SearchQuery",
    "SearchResults",
    "index_prune",
    "index_rebuild",
    "parse_query",
    "post_index",
    "post_unindex",
    "posts_index",
    "tag_posts_index",
]

REBUILD_CHUNK = 200


def _document(post: Post) -> Document:
    return Document(
        post_id=post.pk,
        title=post.title,
        body=plain_text(post.html),
        tags=" ".join(tag.title for tag in post.tags.all()),
    )


def post_index(post: Post) -> None:
    """Store the post's title, text and tags in the index (drafts too: the search
    reads only published posts, and publishing later needs no new write)."""
    posts_index([post])


def posts_index(posts: Iterable[Post]) -> None:
    documents = [_document(post) for post in posts]
    engine = backend()
    with connection.cursor() as cursor:
        engine.delete(cursor, [doc.post_id for doc in documents])
        engine.insert(cursor, documents)


def post_unindex(post_id: int) -> None:
    with connection.cursor() as cursor:
        backend().delete(cursor, [post_id])


def index_prune() -> None:
    """Forget the rows of posts that are gone: after ``flush`` (a transactional test's
    teardown), which empties the posts' table but knows nothing of this one. A no-op
    while the table does not exist (migrating)."""
    engine = backend()
    with connection.cursor() as cursor:
        if TABLE in connection.introspection.table_names(cursor):
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE {engine.id_column} NOT IN (SELECT id FROM blog_post)"
            )


@transaction.atomic
def index_rebuild() -> int:
    """The table made anew from every post; returns how many were indexed."""
    engine = backend()
    with connection.cursor() as cursor:
        engine.drop(cursor)
        engine.create(cursor)
    return _index_in_chunks(Post.objects.all())


def tag_posts_index(tag) -> int:
    """Index again the posts of a tag whose title changed (the admin)."""
    return _index_in_chunks(tag.posts.all())


def _index_in_chunks(posts) -> int:
    posts = posts.order_by("pk").prefetch_related("tags").only("pk", "title", "html")
    count, last = 0, 0
    while chunk := list(posts.filter(pk__gt=last)[:REBUILD_CHUNK]):
        posts_index(chunk)
        count, last = count + len(chunk), chunk[-1].pk
    return count


class SearchResults:
    """The published posts matching a query, best first, for a ``Paginator``: one query
    counts, one reads a page of ids, and the page's posts are read as every list reads
    them (``PostQuerySet.for_listing``). Each post gets ``search_title`` and
    ``search_excerpt``: escaped text with the terms in ``<mark>``."""

    def __init__(self, query: SearchQuery, posts) -> None:
        self.query = query
        self.posts = posts  # the QuerySet the page's posts are read from
        self.engine = backend()
        self.terms = self.engine.indexed_terms(query) or query.terms
        self._count: int | None = None

    def count(self) -> int:
        if self.query.is_empty:
            return 0
        if self._count is None:
            with connection.cursor() as cursor:
                self._count = self.engine.count(cursor, self.query)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("SearchResults are read a page (a slice) at a time")
        start, stop = index.start or 0, index.stop
        if self.query.is_empty or stop is None or stop <= start:
            return []
        with connection.cursor() as cursor:
            rows = self.engine.page(cursor, self.query, offset=start, limit=stop - start)
        if not rows:
            return []
        by_id = {post.pk: post for post in self.posts.filter(pk__in=[pk for pk, _ in rows])}
        page = []
        for pk, body in rows:
            if (post := by_id.get(pk)) is not None:
                post.search_title = highlight(post.title, self.terms)
                post.search_excerpt = excerpt(body, self.terms)
                page.append(post)
        return page
