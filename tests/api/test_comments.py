"""/api/posts/<slug>/comments/: read and add comments, with the web form's rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import COMMENT_TEXT_MAX_LENGTH, Comment
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
