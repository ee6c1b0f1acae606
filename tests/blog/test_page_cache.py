"""Anonymous visitors get list and post pages from the cache until the blog's content changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.services import comment_create, post_update
from tests.factories import PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.BLOG_PAGE_CACHE_SECONDS = 60


def test_second_visit_is_served_without_a_query(client, django_assert_num_queries):
    PostFactory(title="Cached post", tags=[TagFactory()])
    first = client.get("/")

    with django_assert_num_queries(0):
        second = client.get("/")

    assert second.status_code == 200
    assert second.content == first.content
    assert "Cached post" in second.content.decode()


@pytest.mark.parametrize("kind", ["home", "post", "tag", "author"])
def test_an_anonymous_second_visit_is_the_stored_page_not_a_new_render(client, kind):
    """No template is rendered for it: the whole page comes from the cache (a cached
    fragment alone also needs no query, so counting queries cannot tell the two apart:
    the post page once lost its stored copy that way, at 0.2 x a trivial view)."""
    tag = TagFactory(title="cached")
    post = PostFactory(tags=[tag])
    path = {
        "home": "/",
        "post": post.get_absolute_url(),
        "tag": f"/tag/{tag.slug}/",
        "author": f"/user/{post.author.username}/",
    }[kind]
    first = client.get(path)

    second = client.get(path)

    assert first.templates != []
    assert (second.status_code, second.templates) == (200, [])
    assert second.content == first.content


@pytest.mark.parametrize(
    "change",
    [
        lambda post: PostFactory(title="Brand new"),
        lambda post: post_update(post=post, title="Brand new"),
        lambda post: post_update(post=post, tags=["brand new"]),
        lambda post: comment_create(post=post, user=UserFactory(), text="Brand new"),
        lambda post: post.delete(),
    ],
    ids=["new post", "edited post", "new tag", "new comment", "deleted post"],
)
def test_any_change_refreshes_the_page_once_committed(
    client, django_capture_on_commit_callbacks, change
):
    post = PostFactory(title="Old title")
    before = client.get("/").content

    with django_capture_on_commit_callbacks(execute=True):
        change(post)

    assert client.get("/").content != before


def test_a_post_page_is_served_without_a_query_until_a_comment_arrives(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    post = PostFactory(title="Read me")
    first = client.get(post.get_absolute_url())

    with django_assert_num_queries(0):
        second = client.get(post.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(post=post, user=UserFactory(), text="First comment here")
    third = client.get(post.get_absolute_url()).content.decode()

    assert second.content == first.content
    assert "First comment here" in third


def test_a_signed_in_reader_never_gets_the_anonymous_post_page(client):
    post = PostFactory()
    anonymous = client.get(post.get_absolute_url()).content.decode()
    client.force_login(UserFactory(username="commenter", roles=["default"]))

    html = client.get(post.get_absolute_url()).content.decode()

    assert "csrfmiddlewaretoken" not in anonymous
    assert "csrfmiddlewaretoken" in html


def test_pages_and_lists_are_cached_apart(client):
    tag = TagFactory(title="Apart")
    PostFactory(title="Tagged", tags=[tag])
    PostFactory(title="Untagged")
    client.get("/")

    html = client.get(tag.get_absolute_url()).content.decode()

    # Untagged is in the sidebar's recent posts, not among the tag's posts.
    assert 'href="/post/tagged/">Tagged</a></h2>' in html
    assert 'href="/post/untagged/">Untagged</a></h2>' not in html


def test_signed_in_users_always_get_a_fresh_page(client):
    PostFactory()
    client.get("/")
    client.force_login(UserFactory(username="fresh"))

    response = client.get("/")

    assert "fresh" in response.content.decode()


def test_a_page_with_a_message_is_not_served_from_the_cache(client):
    PostFactory()
    client.get("/")
    client.force_login(UserFactory())
    client.post("/accounts/logout/")  # leaves "You have signed out." for the next page

    html = client.get("/").content.decode()

    assert "You have signed out." in html


def test_off_when_the_setting_is_zero(client, settings, django_assert_num_queries):
    settings.BLOG_PAGE_CACHE_SECONDS = 0
    PostFactory(publish_date=timezone.now() - timedelta(minutes=1))
    client.get("/")

    with django_assert_num_queries(7):  # 8 less the tags: no post has one
        client.get("/")


def test_signed_in_readers_get_the_content_from_the_cache_until_a_tag_changes(
    client, django_assert_num_queries, django_capture_on_commit_callbacks, settings
):
    post = PostFactory(tags=[TagFactory(title="Old tag")])
    client.force_login(UserFactory())
    client.get("/")
    settings.BLOG_PAGE_CACHE_SECONDS = 0
    with django_assert_num_queries(12):
        client.get("/")
    settings.BLOG_PAGE_CACHE_SECONDS = 60

    # Only the reader's own: the session, the user, their and their roles' permissions
    # (the header asks can_post). The sidebar, the count and the posts are the
    # fragment's (tests/blog/test_fragment_cache.py).
    with django_assert_num_queries(4):
        client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        post_update(post=post, tags=["New tag"])
    html = client.get("/").content.decode()

    # The old tag has no post left: a stale sidebar would still list it.
    assert "Old tag" not in html
    assert "New tag" in html
