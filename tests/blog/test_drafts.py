"""Drafts, scheduled posts and a writer's own page: who sees them, "My posts", deleting
one's post after a confirmation, and the editor's live Markdown preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from blog.models import Post, PostState
from blog.selectors import posts_published_between, tag_post_counts, tags_with_post_counts
from blog.services import post_create, post_update
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

FORM = {"title": "My draft", "text": "Some **bold** text.", "tags": "Ideas", "publish_date": ""}


@pytest.fixture
def draft(author):
    return PostFactory(author=author, title="A draft", is_draft=True, tags=[TagFactory()])


@pytest.fixture
def scheduled(author):
    return PostFactory(
        author=author, title="Scheduled", publish_date=timezone.now() + timedelta(days=2)
    )


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# THE STATE
# ------------------------------------------------------------------------------
def test_a_post_is_a_draft_scheduled_or_published(author):
    now = timezone.now()
    assert PostFactory(is_draft=True).state == PostState.DRAFT
    assert PostFactory(is_draft=True, publish_date=now - timedelta(days=9)).state == "draft"
    assert PostFactory(publish_date=now + timedelta(hours=1)).state == "scheduled"
    assert PostFactory().state == "published"


def test_drafts_are_nowhere_a_visitor_looks(client, draft):
    published = PostFactory(title="Published", tags=list(draft.tags.all()))
    tag = draft.tags.get()
    now = timezone.now()

    assert list(Post.objects.published()) == [published]
    assert "A draft" not in client.get("/").content.decode()
    assert "A draft" not in client.get(tag.get_absolute_url()).content.decode()
    assert "A draft" not in client.get(draft.author.get_absolute_url()).content.decode()
    assert "A draft" not in client.get("/feed/").content.decode()
    assert "A draft" not in client.get("/feed/atom/").content.decode()
    assert tag_post_counts(now)[tag.pk] == 1
    assert tags_with_post_counts(now).get(pk=tag.pk).post_count == 1
    week_ago = now - timedelta(days=7)
    assert posts_published_between(week_ago, now + timedelta(days=1), limit=10) == [published]
    api = client.get("/api/posts/").json()
    assert [item["title"] for item in api["results"]] == ["Published"]


# WRITING A DRAFT AND PUBLISHING IT
# ------------------------------------------------------------------------------
def test_save_as_draft_then_publish_from_the_editor(author):
    client = client_for(author)

    response = client.post("/post/new/", {**FORM, "action": "draft"}, follow=True)

    post = Post.objects.get(title="My draft")
    assert post.is_draft
    assert response.redirect_chain[-1][0] == f"/post/{post.slug}/"
    page = response.content.decode()
    assert "Your draft is saved" in page and "Draft: only you and the editors" in page
    editor_page = client.get(f"/post/{post.slug}/edit/").content.decode()
    assert "Save as draft</button>" in editor_page and "Publish</button>" in editor_page

    saved_at = post.publish_date
    response = client.post(f"/post/{post.slug}/edit/", {**FORM, "action": "publish"})

    post.refresh_from_db()
    assert response.status_code == 302
    assert post.state == "published"
    assert post.publish_date > saved_at  # published now, not when first saved
    assert "My draft" in Client().get("/").content.decode()


def test_publish_button_publishes_at_once(author):
    client_for(author).post("/post/new/", {**FORM, "action": "publish"})

    assert Post.objects.get().state == "published"


def test_a_published_post_can_go_back_to_drafts(author):
    post = post_create(author=author, title="Out", text="x")

    client_for(author).post(f"/post/{post.slug}/edit/", {**FORM, "title": "Out", "action": "draft"})

    post.refresh_from_db()
    assert post.is_draft
    assert Client().get(post.get_absolute_url()).status_code == 404


def test_a_draft_with_a_date_to_come_is_scheduled_when_published(author):
    later = timezone.now() + timedelta(days=3)
    post = post_create(author=author, title="Later", text="x", draft=True, publish_date=later)

    post_update(post=post, draft=False)

    assert post.state == "scheduled" and post.publish_date == later


# WHO SEES A DRAFT OR A SCHEDULED POST
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["draft", "scheduled"])
@pytest.mark.parametrize(
    "who, status",
    [("author", 200), ("editor", 200), ("other_poster", 404), ("reader", 404), (None, 404)],
)
def test_only_its_author_and_editors_see_it(request, which, who, status):
    post = request.getfixturevalue(which)
    user = None
    if who == "reader":
        user = UserFactory(username="reader")
    elif who:
        user = request.getfixturevalue(who)

    response = client_for(user).get(post.get_absolute_url())

    assert response.status_code == status
    api = client_for(user).get(f"/api/posts/{post.slug}/")
    assert api.status_code == status


def test_a_draft_page_seen_by_its_author_is_never_served_to_visitors(settings, author, draft):
    settings.BLOG_PAGE_CACHE_SECONDS = 60

    assert client_for(author).get(draft.get_absolute_url()).status_code == 200
    assert Client().get(draft.get_absolute_url()).status_code == 404
    assert Client().get(draft.get_absolute_url()).status_code == 404


def test_publishing_a_draft_refreshes_the_cached_home_page(
    settings, author, draft, django_capture_on_commit_callbacks
):
    settings.BLOG_PAGE_CACHE_SECONDS = 60
    visitor = Client()
    assert "A draft" not in visitor.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        post_update(post=draft, draft=False)

    assert "A draft" in visitor.get("/").content.decode()


# MY POSTS
# ------------------------------------------------------------------------------
def test_my_posts_lists_my_drafts_scheduled_and_published_posts_with_their_state(
    author, draft, scheduled
):
    PostFactory(author=author, title="Out there")
    PostFactory(title="Not mine")

    response = client_for(author).get("/my/posts/")

    assert response.status_code == 200
    states = {post.title: post.state for post in response.context["posts"]}
    assert states == {"A draft": "draft", "Scheduled": "scheduled", "Out there": "published"}
    html = response.content.decode()
    assert "Not mine" not in html
    assert f'href="/post/{draft.slug}/delete/"' in html


def test_my_posts_is_in_the_navigation_of_posters_only(author):
    assert 'href="/my/posts/">My posts</a>' in client_for(author).get("/").content.decode()
    reader = UserFactory(username="reader")
    assert "My posts" not in client_for(reader).get("/").content.decode()
    assert "My posts" not in Client().get("/").content.decode()


def test_my_posts_needs_a_login(client):
    response = client.get("/my/posts/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("posts", [1, 30])
def test_my_posts_takes_a_fixed_number_of_queries(author, django_assert_num_queries, posts):
    tags = [TagFactory() for _ in range(3)]
    for i in range(posts):
        post = PostFactory(author=author, is_draft=i % 2 == 0, tags=tags[: i % 4])
        CommentFactory(post=post)
    client = client_for(author)
    # The session, the user, the user's and their roles' permissions (the navigation
    # asks can_post), the count, the page of posts (comments counted in a subquery),
    # their author, their tags: not one query per post.
    with django_assert_num_queries(8):
        response = client.get("/my/posts/")

    assert len(response.context["posts"]) == min(posts, 20)


# DELETING ONE'S POST
# ------------------------------------------------------------------------------
def test_the_author_deletes_after_a_confirmation_page(author):
    post = PostFactory(author=author, title="Going")
    CommentFactory(post=post)
    client = client_for(author)

    confirm = client.get(f"/post/{post.slug}/delete/")
    assert confirm.status_code == 200
    assert "Delete “Going”?" in confirm.content.decode()
    assert Post.objects.filter(pk=post.pk).exists()  # GET deletes nothing

    response = client.post(f"/post/{post.slug}/delete/", follow=True)

    assert response.redirect_chain[-1][0] == "/my/posts/"
    assert "“Going” is deleted." in response.content.decode()
    assert not Post.objects.filter(pk=post.pk).exists()


@pytest.mark.parametrize("which", ["published", "draft"])
def test_others_may_not_delete(which, author, other_poster, draft):
    post = draft if which == "draft" else PostFactory(author=author)
    # A post they cannot see does not exist for them; one they can see is forbidden.
    expected = 404 if which == "draft" else 403

    for method in ("get", "post"):
        response = getattr(client_for(other_poster), method)(f"/post/{post.slug}/delete/")
        assert response.status_code == expected
    assert Post.objects.filter(pk=post.pk).exists()


def test_anonymous_delete_goes_to_login(draft):
    response = Client().post(f"/post/{draft.slug}/delete/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Post.objects.filter(pk=draft.pk).exists()


def test_an_editor_deletes_any_post(editor, draft):
    response = client_for(editor).post(f"/post/{draft.slug}/delete/")

    assert response.status_code == 302
    assert not Post.objects.filter(pk=draft.pk).exists()


def test_the_delete_button_is_shown_to_who_may_delete(author, other_poster):
    post = PostFactory(author=author)
    button = f'href="/post/{post.slug}/delete/"'

    assert button in client_for(author).get(post.get_absolute_url()).content.decode()
    assert button not in client_for(other_poster).get(post.get_absolute_url()).content.decode()


# THE LIVE PREVIEW
# ------------------------------------------------------------------------------
def test_preview_renders_with_the_sanitizing_renderer(author):
    response = client_for(author).post(
        "/my/preview/", {"text": "# Title\n\n**bold** <script>alert(1)</script>"}
    )

    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html and "<h2" in html
    assert "<script" not in html


@pytest.mark.parametrize("who, status", [("reader", 403), (None, 403)])
def test_preview_is_for_writers_only(who, status):
    user = UserFactory(username="reader") if who else None

    response = client_for(user).post("/my/preview/", {"text": "hi"})

    assert response.status_code == status
    assert "error" in response.json()


def test_preview_is_post_only_csrf_protected_and_size_limited(author):
    refused = client_for(author).get("/my/preview/")
    assert refused.status_code == 405 and refused["Allow"] == "POST"

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(author)
    assert strict.post("/my/preview/", {"text": "hi"}).status_code == 403

    too_long = client_for(author).post("/my/preview/", {"text": "x" * 100_001})
    assert too_long.status_code == 400
    assert "at most 100000 characters" in too_long.json()["error"]


def test_the_editor_has_the_preview_and_works_without_javascript(author):
    html = client_for(author).get("/post/new/").content.decode()

    assert 'id="markdown-preview" data-url="/my/preview/"' in html
    assert "hidden>" in html  # shown by editor.js only
    assert "blog/editor" in html and ".js" in html
