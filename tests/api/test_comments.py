"""/api/posts/<slug>/comments/: read and add comments, with the web form's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import COMMENT_TEXT_MAX_LENGTH, Comment, CommentStatus
from tests.factories import CommentFactory, PostFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db


def comments(slug: str) -> str:
    return f"/api/posts/{slug}/comments/"


def test_comments_of_a_post_oldest_first(api_client, post) -> None:
    now = timezone.now()
    second = CommentFactory(post=post, text="Second", date=now - timedelta(minutes=1))
    first = CommentFactory(post=post, text="First", date=now - timedelta(hours=1))
    CommentFactory(text="On another post")

    response = api_client.get(comments(post.slug))

    assert response.status_code == 200
    assert [c["id"] for c in response.data["results"]] == [first.pk, second.pk]
    item = response.data["results"][0]
    assert item["text"] == "First"
    assert item["name"] == first.user.username
    assert item["user"] == first.user.username


def test_a_comment_whose_user_is_gone_keeps_its_name(api_client, post) -> None:
    CommentFactory(post=post, user=None, name="A visitor")

    item = api_client.get(comments(post.slug)).data["results"][0]

    assert item["name"] == "A visitor"
    assert item["user"] is None


def test_comments_list_query_count_is_constant(api_client, django_assert_num_queries) -> None:
    """The commenters are joined, not fetched one per comment."""
    post = PostFactory()
    CommentFactory.create_batch(8, post=post)

    # The post, the COUNT, the page of comments with their users.
    with django_assert_num_queries(3):
        response = api_client.get(comments(post.slug))

    assert len(response.data["results"]) == 8


def test_a_registered_user_comments(users, post) -> None:
    response = client_for(users["default"]).post(comments(post.slug), {"text": " Nice post! "})

    assert response.status_code == 201, response.data
    comment = Comment.objects.get(post=post)
    assert comment.user == users["default"]
    assert comment.name == "default"
    assert comment.text == "Nice post!"
    assert response.data["id"] == comment.pk
    assert response.data["name"] == "default"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"text": "   "}, "This field may not be blank."),
        ({"text": "x" * 10_000}, f"no more than {COMMENT_TEXT_MAX_LENGTH} characters"),
        ({"text": "a\x00b"}, "Null characters are not allowed."),
    ],
)
def test_a_bad_comment_is_400_and_saves_nothing(users, post, body, message) -> None:
    response = client_for(users["default"]).post(comments(post.slug), body)

    assert response.status_code == 400
    assert message in str(response.data["text"])
    assert not Comment.objects.exists()


def test_script_in_a_comment_comes_back_as_text_not_html(users, post, api_client) -> None:
    attack = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    client_for(users["default"]).post(comments(post.slug), {"text": attack})

    response = api_client.get(comments(post.slug))

    # JSON, never HTML: a browser does not render it, and no field claims to be markup.
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.data["results"][0]["text"] == attack
    assert set(response.data["results"][0]) == {
        "id",
        "name",
        "text",
        "date",
        "edited_at",
        "status",
        "user",
        "url",
    }


def test_comments_of_an_unknown_post_are_404(users) -> None:
    client = client_for(users["default"])

    assert client.get(comments("no-such-post")).status_code == 404
    assert client.post(comments("no-such-post"), {"text": "Hi"}).status_code == 404


def test_a_draft_has_no_comments_for_visitors_and_takes_none(users, post, api_client) -> None:
    post.publish_date = timezone.now() + timedelta(days=1)
    post.save()

    assert api_client.get(comments(post.slug)).status_code == 404
    assert client_for(users["default"]).post(comments(post.slug), {"text": "x"}).status_code == 404
    assert client_for(users["author"]).get(comments(post.slug)).status_code == 200
    refused = client_for(users["author"]).post(comments(post.slug), {"text": "x"})
    assert refused.status_code == 403
    assert not Comment.objects.exists()


# COMMENTS ONE OWNS: /api/comments/<id>/
# ------------------------------------------------------------------------------
def one(comment) -> str:
    return f"/api/comments/{comment.pk}/"


@pytest.fixture
def mine(users, post):
    return CommentFactory(post=post, user=users["default"], name="default", text="Mine")


def test_the_author_edits_their_comment_and_it_says_edited(users, mine) -> None:
    response = client_for(users["default"]).patch(one(mine), {"text": " Changed "})

    assert response.status_code == 200, response.data
    assert response.data["text"] == "Changed"
    assert response.data["edited_at"] is not None
    mine.refresh_from_db()
    assert (mine.text, mine.edited_at is not None) == ("Changed", True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"text": "  "}, "This field may not be blank."),
        ({"text": 5}, "Not a valid string."),
        ({"text": "x" * 10_000}, f"no more than {COMMENT_TEXT_MAX_LENGTH} characters"),
    ],
)
def test_a_bad_edit_is_400_and_changes_nothing(users, mine, body, message) -> None:
    response = client_for(users["default"]).patch(one(mine), body, format="json")

    assert response.status_code == 400
    assert message in str(response.data["text"])
    mine.refresh_from_db()
    assert mine.text == "Mine"


def test_the_author_deletes_their_comment(users, mine) -> None:
    assert client_for(users["default"]).delete(one(mine)).status_code == 204
    assert not Comment.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize("role", ["poster", "author", "admin", "staff"])
def test_others_may_not_edit_or_delete_a_comment(users, mine, role) -> None:
    client = client_for(users[role])

    assert client.patch(one(mine), {"text": "Hijacked"}).status_code == 403
    assert client.delete(one(mine)).status_code == 403
    mine.refresh_from_db()
    assert mine.text == "Mine"


def test_anonymous_writes_are_401_and_put_is_not_offered(users, mine, api_client) -> None:
    assert api_client.get(one(mine)).status_code == 200
    assert api_client.patch(one(mine), {"text": "x"}).status_code == 401
    assert api_client.delete(one(mine)).status_code == 401
    assert client_for(users["default"]).put(one(mine), {"text": "x"}).status_code == 405


def test_unknown_and_absurd_comment_ids_are_404(users) -> None:
    client = client_for(users["default"])

    assert client.get("/api/comments/424242/").status_code == 404
    assert client.get("/api/comments/" + "9" * 40 + "/").status_code == 404


@pytest.mark.parametrize("action", ["hide", "restore", "approve"])
def test_only_the_admin_role_moderates(users, mine, action) -> None:
    for role in ("default", "poster", "author", "staff"):
        response = client_for(users[role]).post(f"{one(mine)}{action}/")
        assert response.status_code == 403, role
    mine.refresh_from_db()
    assert mine.status == CommentStatus.PUBLISHED


def test_the_admin_role_hides_and_restores(users, mine, api_client) -> None:
    editor = client_for(users["admin"])
    url = comments(mine.post.slug)

    hidden = editor.post(f"{one(mine)}hide/")

    assert hidden.status_code == 200 and hidden.data["status"] == "hidden"
    assert api_client.get(url).data["results"] == []
    assert client_for(users["default"]).get(url).data["results"] == []  # its author too
    assert api_client.get(one(mine)).status_code == 404
    assert client_for(users["default"]).patch(one(mine), {"text": "x"}).status_code == 404
    assert [c["status"] for c in editor.get(url).data["results"]] == ["hidden"]
    assert editor.post(f"{one(mine)}hide/").status_code == 403  # already hidden

    restored = editor.post(f"{one(mine)}restore/")

    assert restored.status_code == 200 and restored.data["status"] == "published"
    assert [c["text"] for c in api_client.get(url).data["results"]] == ["Mine"]


def test_with_moderation_an_api_comment_is_held_until_approved(
    users, post, settings, api_client
) -> None:
    settings.BLOG_COMMENT_MODERATION_DAYS = 7

    created = client_for(users["default"]).post(comments(post.slug), {"text": "Wait for me"})

    assert created.status_code == 201
    assert created.data["status"] == "held"
    assert created["Location"] == created.data["url"]
    assert api_client.get(comments(post.slug)).data["results"] == []
    assert api_client.get(f"/api/posts/{post.slug}/").data["comment_count"] == 0
    approved = client_for(users["admin"]).post(f"/api/comments/{created.data['id']}/approve/")
    assert approved.data["status"] == "published"
    assert api_client.get(f"/api/posts/{post.slug}/").data["comment_count"] == 1


def test_the_api_obeys_the_comment_rate_limit_with_a_429(users, post, settings) -> None:
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 3
    client = client_for(users["default"])

    codes = [client.post(comments(post.slug), {"text": "Same"}).status_code for _ in range(5)]
    refused = client.post(comments(post.slug), {"text": "Same"})

    assert codes == [201, 201, 201, 429, 429]
    assert refused["Content-Type"] == "application/json"
    assert "commenting too fast" in refused.data["detail"]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Comment.objects.count() == 3


def test_the_page_and_the_api_share_one_limit(users, post, settings, client) -> None:
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 2
    client.force_login(users["default"])
    client.post(post.get_absolute_url(), {"text": "From the page"})
    api = client_for(users["default"])

    assert api.post(comments(post.slug), {"text": "From the API"}).status_code == 201
    assert api.post(comments(post.slug), {"text": "One more"}).status_code == 429
    assert client.post(post.get_absolute_url(), {"text": "And the page"}).status_code == 429
