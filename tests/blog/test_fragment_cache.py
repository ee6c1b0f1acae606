"""Signed-in readers get the pages' content from the cache (blog.views.fragments), and
every change shows at once: each write moves the content version once it commits, and
a scheduled post's time ends every copy (docs/blog.md, "Caching"). What is a reader's
own (the header, edit links, comment actions, held comments) is never another's."""

from __future__ import annotations

import http.client
import pickle
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from blog.cache import fragment_cache_key
from blog.services import (
    comment_create,
    comment_moderate,
    comment_update,
    post_delete,
    post_update,
)
from tests.factories import PostFactory, TagFactory, UserFactory

# The session, the user, and the user's and their roles' permissions: what a signed-in
# page costs when all of its content comes from the cache.
READER_QUERIES = 4


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.BLOG_PAGE_CACHE_SECONDS = 60


@pytest.fixture
def reader(client):
    user = UserFactory(username="reader")
    client.force_login(user)
    return user


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def assert_cached(client, path: str, django_assert_num_queries) -> str:
    """Read ``path`` twice: the second time only the reader's own is read."""
    page(client, path)
    with django_assert_num_queries(READER_QUERIES):
        return page(client, path)


def rename(tag, title: str) -> None:
    tag.title = title
    tag.save()  # as the admin does


# EVERY CHANGE SHOWS AT ONCE, AND ONLY ONCE COMMITTED
# ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "change", "shown"),
    [
        ("post", lambda post: comment_create(post=post, user=UserFactory(), text="Fresh"), "Fresh"),
        ("post", lambda post: comment_update(comment=post.comments.get(), text="Fresh"), "Fresh"),
        ("home", lambda post: post_update(post=post, title="Fresh title"), "Fresh title"),
        ("post", lambda post: post_update(post=post, text="Fresh *text*"), "<em>text</em>"),
        ("home", lambda post: post_update(post=post, tags=["Fresh tag"]), "Fresh tag"),
        ("post", lambda post: rename(post.tags.get(), "Fresh tag"), "Fresh tag"),
    ],
    ids=[
        "new comment",
        "edited comment",
        "edited title",
        "edited text",
        "tag added",
        "tag renamed",
    ],
)
def test_a_change_shows_to_a_signed_in_reader_once_committed(
    client,
    reader,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    where,
    change,
    shown,
):
    post = PostFactory(title="Old title", text="Old text", tags=[TagFactory(title="Old tag")])
    comment_create(post=post, user=UserFactory(), text="Old comment")
    path = {"home": "/", "post": post.get_absolute_url()}[where]
    assert shown not in assert_cached(client, path, django_assert_num_queries)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change(post)
    # Not committed yet: the copy stands (in production the change may still roll back).
    assert shown not in page(client, path)
    for callback in callbacks:
        callback()

    assert shown in page(client, path)


@pytest.mark.django_db
def test_a_hidden_comment_leaves_the_page_at_once(
    client, reader, editor, django_assert_num_queries, django_capture_on_commit_callbacks
):
    post = PostFactory()
    comment = comment_create(post=post, user=UserFactory(), text="Soon hidden")
    path = post.get_absolute_url()
    assert "Soon hidden" in assert_cached(client, path, django_assert_num_queries)

    with django_capture_on_commit_callbacks(execute=True):
        comment_moderate(comment=comment, action="hide")

    assert "Soon hidden" not in page(client, path)


@pytest.mark.django_db
def test_a_deleted_post_leaves_the_lists_and_its_page_is_gone(
    client, reader, django_assert_num_queries, django_capture_on_commit_callbacks
):
    tag = TagFactory(title="Kept tag")
    post = PostFactory(title="Soon deleted", tags=[tag])
    PostFactory(title="Stays", tags=[tag])
    for path in ("/", tag.get_absolute_url(), post.get_absolute_url()):
        assert "Soon deleted" in assert_cached(client, path, django_assert_num_queries)

    with django_capture_on_commit_callbacks(execute=True):
        post_delete(post=post)

    assert "Soon deleted" not in page(client, "/")
    assert "Soon deleted" not in page(client, tag.get_absolute_url())
    assert client.get(post.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_renamed_user_shows_under_the_new_name(
    client, reader, author, django_assert_num_queries, django_capture_on_commit_callbacks
):
    post = PostFactory(author=author)
    comment_create(post=post, user=author, text="The author's own comment")
    path = post.get_absolute_url()
    assert ">author</a>" in assert_cached(client, path, django_assert_num_queries)
    assert ">author</a>" in assert_cached(client, "/", django_assert_num_queries)

    with django_capture_on_commit_callbacks(execute=True):
        author.username = "renamed"
        author.save()

    for path in ("/", post.get_absolute_url()):
        html = page(client, path)
        assert ">renamed</a>" in html
        assert "/user/author/" not in html


@pytest.mark.django_db
def test_a_login_changes_no_page(
    client, reader, author, django_assert_num_queries, django_capture_on_commit_callbacks
):
    PostFactory(author=author)
    assert_cached(client, "/", django_assert_num_queries)

    with django_capture_on_commit_callbacks(execute=True):
        Client().force_login(author)  # saves last_login only

    with django_assert_num_queries(READER_QUERIES):
        page(client, "/")


@pytest.mark.django_db
def test_a_scheduled_post_shows_when_its_time_comes(
    client, reader, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Nothing is written when its time comes: no copy outlives the next publication."""
    PostFactory(title="Already out")
    publish_date = timezone.now() + timedelta(seconds=1.5)
    with django_capture_on_commit_callbacks(execute=True):
        PostFactory(title="Comes later", publish_date=publish_date)

    html = assert_cached(client, "/", django_assert_num_queries)
    assert "Already out" in html
    assert "Comes later" not in html
    time.sleep(max((publish_date - timezone.now()).total_seconds(), 0) + 0.05)

    html = page(client, "/")
    assert '<a href="/post/comes-later/">Comes later</a></h2>' in html
    assert '<li><a href="/post/comes-later/">Comes later</a></li>' in html  # the sidebar


# NO READER GETS ANOTHER'S OWN PARTS
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_author_sees_edit_links_and_the_next_reader_does_not(author, django_assert_num_queries):
    post = PostFactory(author=author, title="Mine")
    comment_create(post=post, user=author, text="My own comment")
    as_author, as_reader = Client(), Client()
    as_author.force_login(author)
    as_reader.force_login(UserFactory(username="reader"))

    mine = page(as_author, post.get_absolute_url())
    with django_assert_num_queries(READER_QUERIES):  # the author's copy, without them
        theirs = page(as_reader, post.get_absolute_url())

    assert "Edit this post" in mine
    assert f"/comment/{post.comments.get().pk}/edit/" in mine
    assert ">author</a></li>" in mine  # the header's account link
    assert "Edit this post" not in theirs
    assert "Delete this post" not in theirs
    assert "/edit/" not in theirs
    assert ">reader</a></li>" in theirs
    assert ">author</a></li>" not in theirs
    assert mine.count("csrfmiddlewaretoken") == theirs.count("csrfmiddlewaretoken") == 3


@pytest.mark.django_db
def test_the_stored_fragments_hold_nothing_of_the_reader_who_made_them(author, rf):
    post = PostFactory(author=author)
    comment_create(post=post, user=author, text="Own comment")
    reader = Client()
    reader.force_login(UserFactory(username="zedreader", roles=["default", "admin"]))
    for path in ("/", post.get_absolute_url()):
        page(reader, path)  # a moderator: every action of every comment on the page

    for path in ("/", post.get_absolute_url()):
        fragment = cache.get(fragment_cache_key(rf.get(path)))
        stored = pickle.dumps(fragment).decode("utf-8", "replace")
        assert fragment is not None
        assert "zedreader" not in stored
        assert "csrfmiddlewaretoken" not in stored
        assert "Log out" not in stored
        assert "/edit/" not in stored
        assert "/hide/" not in stored


@pytest.mark.django_db
def test_a_held_comment_shows_to_its_author_and_moderators_only(author, editor):
    post = PostFactory()
    comment_create(post=post, user=UserFactory(), text="Published one")
    held = comment_create(post=post, user=author, text="Held one")
    held.status = "held"
    held.save()
    readers = {name: Client() for name in ("author", "editor", "reader")}
    for name, user in (("author", author), ("editor", editor), ("reader", UserFactory())):
        readers[name].force_login(user)

    pages = {name: page(c, post.get_absolute_url()) for name, c in readers.items()}

    assert "Held one" in pages["author"]
    assert "Held one" in pages["editor"]
    assert "Held one" not in pages["reader"]
    assert "Published one" in pages["reader"]
    assert "Approve" in pages["editor"]
    assert "Approve" not in pages["author"]


@pytest.mark.django_db
def test_each_language_has_its_own_copy(client, reader):
    PostFactory()
    english = page(client, "/")

    reader.language = "zh-hans"
    reader.save()
    chinese = page(client, "/")

    assert "Latest posts" in english
    assert "Latest posts" not in chinese


# OVER A REAL SERVER
# ------------------------------------------------------------------------------
def http_get(url: str, path: str, user) -> str:
    """GET over HTTP with ``user``'s session cookie."""
    login = Client()
    login.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={login.cookies[settings.SESSION_COOKIE_NAME].value}"
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_over_a_live_server_two_readers_and_a_committed_comment(live_server, author):
    """The threaded live server, with real commits: the on-commit version bump runs
    as in production, not through a captured callback."""
    post = PostFactory(author=author, title="Served")
    reader = UserFactory(username="reader")

    mine = http_get(live_server.url, post.get_absolute_url(), author)
    theirs = http_get(live_server.url, post.get_absolute_url(), reader)
    comment_create(post=post, user=author, text="Committed comment")
    after = http_get(live_server.url, post.get_absolute_url(), reader)

    assert "Edit this post" in mine
    assert "Edit this post" not in theirs
    assert ">author</a></li>" not in theirs
    assert ">reader</a></li>" in theirs
    assert "Committed comment" in after
    assert "/edit/" not in after
