"""/api/posts/ and /api/posts/<slug>/: read, create, change and delete posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow

from blog.models import POST_TITLE_MAX_LENGTH, Post, Tag
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

LIST = "/api/posts/"


def detail(slug: str) -> str:
    return f"/api/posts/{slug}/"


# READING
# ------------------------------------------------------------------------------
def test_list_has_published_posts_only_newest_first(api_client) -> None:
    now = timezone.now()
    old = PostFactory(title="Old", publish_date=now - timedelta(days=2))
    new = PostFactory(title="New", publish_date=now - timedelta(hours=1))
    PostFactory(title="Draft", publish_date=now + timedelta(days=1))

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [p["slug"] for p in response.data["results"]] == [new.slug, old.slug]


def test_list_item_has_the_fields_of_a_post(api_client) -> None:
    post = PostFactory(
        title="Hello API",
        text="Some **bold** text.",
        tags=[TagFactory(title="Django"), TagFactory(title="Celery")],
    )
    CommentFactory.create_batch(2, post=post)

    item = api_client.get(LIST).data["results"][0]

    assert item["slug"] == post.slug == "hello-api"
    assert item["title"] == "Hello API"
    assert item["text"] == "Some **bold** text."
    assert item["html"] == post.html
    assert "<strong>bold</strong>" in item["html"]
    assert item["author"] == post.author.username
    assert sorted(item["tags"]) == ["Celery", "Django"]
    assert parse_datetime(item["publish_date"]) == post.publish_date
    assert item["comment_count"] == 2
    assert item["url"] == f"http://testserver/api/posts/{post.slug}/"
    assert item["page_url"] == f"http://testserver{post.get_absolute_url()}"


def test_list_is_paginated(api_client, settings) -> None:
    PostFactory.create_batch(12)

    first = api_client.get(LIST).data
    second = api_client.get(LIST, {"page": 2}).data

    assert first["count"] == 12
    assert len(first["results"]) == 10
    assert first["next"].endswith("/api/posts/?page=2")
    assert len(second["results"]) == 2
    assert second["next"] is None
    assert {p["slug"] for p in first["results"]}.isdisjoint(p["slug"] for p in second["results"])


@pytest.mark.parametrize("page", ["99", "junk", "0", "-1"])
def test_a_page_out_of_range_or_junk_is_404_not_500(api_client, page) -> None:
    PostFactory()

    response = api_client.get(LIST, {"page": page})

    assert response.status_code == 404
    assert response.data["detail"] == "Invalid page."


def test_list_filters_by_tag_slug(api_client) -> None:
    django = TagFactory(title="Django")
    tagged = PostFactory(tags=[django])
    PostFactory(tags=[TagFactory(title="Flask")])

    response = api_client.get(LIST, {"tag": "django"})

    assert [p["slug"] for p in response.data["results"]] == [tagged.slug]
    assert api_client.get(LIST, {"tag": "no-such-tag"}).data["count"] == 0


def test_list_filters_by_author_username(api_client) -> None:
    ada = UserFactory(username="ada", roles=["default", "poster"])
    by_ada = PostFactory(author=ada)
    PostFactory()

    response = api_client.get(LIST, {"author": "ada"})

    assert [p["slug"] for p in response.data["results"]] == [by_ada.slug]


def test_list_filters_combine(api_client) -> None:
    ada = UserFactory(username="ada", roles=["default", "poster"])
    django = TagFactory(title="Django")
    wanted = PostFactory(author=ada, tags=[django])
    PostFactory(author=ada)
    PostFactory(tags=[django])

    response = api_client.get(LIST, {"author": "ada", "tag": "django"})

    assert [p["slug"] for p in response.data["results"]] == [wanted.slug]


@pytest.mark.parametrize("posts", [1, 30])
def test_list_query_count_is_constant(api_client, django_assert_num_queries, posts) -> None:
    """One COUNT, one SELECT of the page's posts, one SELECT of their authors and one of
    all their tags: never a query per post (the N+1 of author and tags)."""
    tags = TagFactory.create_batch(5)
    for post in PostFactory.create_batch(posts, tags=tags):
        CommentFactory.create_batch(2, post=post)

    with django_assert_num_queries(4):
        response = api_client.get(LIST)

    assert response.status_code == 200
    assert len(response.data["results"]) == min(posts, 10)
    assert all(len(p["tags"]) == 5 for p in response.data["results"])


def test_detail_of_a_published_post(api_client) -> None:
    post = PostFactory(title="Ünïcode title ✓")

    response = api_client.get(detail(post.slug))

    assert response.status_code == 200
    assert response.data["slug"] == post.slug == "ünïcode-title"
    assert response.data["title"] == "Ünïcode title ✓"


def test_detail_of_an_unknown_slug_is_404(api_client) -> None:
    response = api_client.get(detail("no-such-post"))

    assert response.status_code == 404
    assert response.data["detail"]


def test_a_draft_is_404_except_for_who_may_edit_it(api_client, post, users) -> None:
    post.publish_date = timezone.now() + timedelta(days=1)
    post.save()

    assert api_client.get(detail(post.slug)).status_code == 404
    assert client_for(users["poster"]).get(detail(post.slug)).status_code == 404
    assert client_for(users["author"]).get(detail(post.slug)).status_code == 200
    assert client_for(users["admin"]).get(detail(post.slug)).status_code == 200


# WRITING
# ------------------------------------------------------------------------------
def test_a_poster_creates_a_post_with_new_and_existing_tags(users) -> None:
    TagFactory(title="Django")
    client = client_for(users["poster"])

    response = client.post(
        LIST,
        {"title": "Fresh post", "text": "Hello *world*.", "tags": ["Django", "Brand new"]},
    )

    assert response.status_code == 201, response.data
    post = Post.objects.get(slug="fresh-post")
    assert post.author == users["poster"]
    assert post.html == "<p>Hello <em>world</em>.</p>"
    assert sorted(t.title for t in post.tags.all()) == ["Brand new", "Django"]
    assert Tag.objects.filter(title="Django").count() == 1
    assert response.data["url"] == "http://testserver/api/posts/fresh-post/"
    assert response["Location"] == response.data["url"]
    assert sorted(response.data["tags"]) == ["Brand new", "Django"]
    assert post.is_published
    # What was created is what the list now shows.
    # The list shows the post as it was answered, less its images (one post's own).
    assert response.data["images"] == []
    listed = {k: v for k, v in response.data.items() if k != "images"}
    assert client.get(LIST).data["results"][0] == listed


def test_a_post_with_a_future_publish_date_is_a_draft(users, api_client) -> None:
    later = timezone.now() + timedelta(days=3)

    response = client_for(users["poster"]).post(
        LIST, {"title": "Later", "text": "Soon.", "publish_date": later.isoformat()}
    )

    assert response.status_code == 201
    assert parse_datetime(response.data["publish_date"]) == later
    assert api_client.get(LIST).data["count"] == 0
    assert api_client.get(detail("later")).status_code == 404


def test_a_same_title_gets_its_own_slug(users) -> None:
    client = client_for(users["poster"])

    first = client.post(LIST, {"title": "Same", "text": "One."})
    second = client.post(LIST, {"title": "Same", "text": "Two."})

    assert first.data["slug"] == "same"
    assert second.data["slug"] == "same-2"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "No title."}, "title", "This field is required."),
        ({"title": "   ", "text": "Blank title."}, "title", "This field may not be blank."),
        (
            {"title": "x" * (POST_TITLE_MAX_LENGTH + 1), "text": "Long title."},
            "title",
            f"Ensure this field has no more than {POST_TITLE_MAX_LENGTH} characters.",
        ),
        ({"title": "No text"}, "text", "This field is required."),
        ({"title": "Null", "text": "a\x00b"}, "text", "Null characters are not allowed."),
        (
            {"title": "Bad date", "text": "x", "publish_date": "next tuesday"},
            "publish_date",
            "Datetime has wrong format.",
        ),
        ({"title": "Tags", "text": "x", "tags": "django"}, "tags", "Expected a list of items"),
        ({"title": "Tags", "text": "x", "tags": ["a,b"]}, "tags", "cannot contain a comma"),
        ({"title": "Tags", "text": "x", "tags": ["x" * 51]}, "tags", "no more than 50"),
        ({"title": "Tags", "text": "x", "tags": [str(n) for n in range(11)]}, "tags", "10"),
        # Passes the serializer, refused by the service's validation: still a 400.
        ({"title": "Tags", "text": "x", "tags": ["!!!"]}, "tags", "is not a tag"),
        ({"title": "Title", "text": "x" * 100_001}, "text", "no more than 100000"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_creates_nothing(users, body, field, message):
    response = client_for(users["poster"]).post(LIST, body)

    assert response.status_code == 400, response.data
    assert message in str(response.data[field])
    assert not Post.objects.exists()
    assert not Tag.objects.exists()


def test_a_body_that_is_not_json_is_400(users) -> None:
    response = client_for(users["poster"]).post(
        LIST, data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.data["detail"]


def test_unknown_fields_are_ignored(users) -> None:
    response = client_for(users["poster"]).post(
        LIST, {"title": "Mine", "text": "x", "author": "admin", "slug": "chosen", "html": "<b>"}
    )

    assert response.status_code == 201
    assert response.data["author"] == "poster"
    assert response.data["slug"] == "mine"
    assert response.data["html"] == "<p>x</p>"


SCRIPTS = [
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">click</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
]


@pytest.mark.parametrize("attack", SCRIPTS)
def test_script_never_comes_back_executable_in_html(users, api_client, attack) -> None:
    response = client_for(users["poster"]).post(
        LIST, {"title": "Attack", "text": f"Hello {attack} world"}
    )

    assert response.status_code == 201
    for html in (response.data["html"], api_client.get(detail("attack")).data["html"]):
        lowered = html.lower()
        assert "<script" not in lowered
        assert "onerror" not in lowered
        assert "onload" not in lowered
        assert "javascript:" not in lowered
        assert "<iframe" not in lowered
        assert "<svg" not in lowered


def test_the_author_replaces_a_post_with_put(post, users) -> None:
    response = client_for(users["author"]).put(
        detail(post.slug), {"title": "New title", "text": "New *text*.", "tags": ["Fresh"]}
    )

    assert response.status_code == 200, response.data
    post.refresh_from_db()
    assert post.title == "New title"
    assert post.html == "<p>New <em>text</em>.</p>"
    assert [t.title for t in post.tags.all()] == ["Fresh"]
    assert response.data["slug"] == post.slug == "a-post-to-change"  # links keep working
    assert response.data["tags"] == ["Fresh"]


def test_put_needs_title_and_text(post, users) -> None:
    response = client_for(users["author"]).put(detail(post.slug), {"title": "Only a title"})

    assert response.status_code == 400
    assert response.data["text"] == ["This field is required."]
    post.refresh_from_db()
    assert post.title == "A post to change"


def test_patch_changes_only_the_fields_given(post, users) -> None:
    post.tags.set([TagFactory(title="Kept")])

    response = client_for(users["author"]).patch(detail(post.slug), {"text": "Patched."})

    assert response.status_code == 200
    post.refresh_from_db()
    assert post.title == "A post to change"
    assert post.text == "Patched."
    assert response.data["tags"] == ["Kept"]


def test_patch_with_an_empty_tag_list_removes_the_tags(post, users) -> None:
    post.tags.set([TagFactory(title="Gone")])

    response = client_for(users["author"]).patch(detail(post.slug), {"tags": []}, format="json")

    assert response.status_code == 200
    assert response.data["tags"] == []
    assert post.tags.count() == 0


def test_an_editor_changes_someone_elses_post(post, users) -> None:
    response = client_for(users["admin"]).patch(detail(post.slug), {"title": "Edited"})

    assert response.status_code == 200
    post.refresh_from_db()
    assert post.title == "Edited"
    assert post.author == users["author"]


def test_the_author_deletes_a_post_and_its_comments(post, users, api_client) -> None:
    CommentFactory(post=post)

    response = client_for(users["author"]).delete(detail(post.slug))

    assert response.status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    assert api_client.get(detail(post.slug)).status_code == 404


def test_writing_to_an_unknown_slug_is_404(users) -> None:
    client = client_for(users["admin"])

    assert client.patch(detail("nope"), {"title": "x"}).status_code == 404
    assert client.delete(detail("nope")).status_code == 404


# AUTHENTICATION AND METHODS
# ------------------------------------------------------------------------------
def test_no_token_is_401_with_a_bearer_challenge(api_client) -> None:
    response = api_client.post(LIST, {"title": "x", "text": "y"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.data["detail"] == "Authentication credentials were not provided."


def test_an_expired_access_token_is_401(users, api_client) -> None:
    token = RefreshToken.for_user(users["poster"]).access_token
    # Issued eleven minutes ago, with the ten-minute lifetime.
    token.set_exp(from_time=aware_utcnow() - timedelta(minutes=11))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.post(LIST, {"title": "x", "text": "y"})

    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"
    assert not Post.objects.exists()


def test_a_token_signed_with_another_key_is_401(users, api_client, settings) -> None:
    token = RefreshToken.for_user(users["poster"]).access_token
    forged = token.token_backend.__class__(algorithm="HS256", signing_key="x" * 50)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged.encode(token.payload)}")

    response = api_client.post(LIST, {"title": "x", "text": "y"})

    assert response.status_code == 401


def test_a_token_from_the_token_endpoint_creates_a_post(users, api_client) -> None:
    from tests.factories import DEFAULT_PASSWORD

    tokens = api_client.post(
        "/api/auth/token/", {"username": "poster", "password": DEFAULT_PASSWORD}
    ).data
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(LIST, {"title": "Via token", "text": "Hi."})

    assert response.status_code == 201
    assert response.data["author"] == "poster"


def test_session_authentication_serves_the_browsable_api_and_checks_csrf(users) -> None:
    from rest_framework.test import APIClient

    from tests.factories import DEFAULT_PASSWORD

    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="poster", password=DEFAULT_PASSWORD)

    page = client.get(LIST, HTTP_ACCEPT="text/html")
    refused = client.post(LIST, {"title": "No CSRF", "text": "x"}, format="json")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    client.cookies["csrftoken"] = token or "a" * 32
    accepted = client.post(
        LIST, {"title": "With CSRF", "text": "x"}, format="json", HTTP_X_CSRFTOKEN=token or "a" * 32
    )

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert refused.status_code == 403
    assert "CSRF" in refused.data["detail"]
    assert accepted.status_code == 201
    assert accepted.data["author"] == "poster"


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", LIST), ("patch", LIST), ("delete", LIST), ("post", "/api/posts/{slug}/")],
)
def test_a_wrong_method_is_405(users, post, method, url) -> None:
    response = getattr(client_for(users["admin"]), method)(url.format(slug=post.slug), {})

    assert response.status_code == 405
