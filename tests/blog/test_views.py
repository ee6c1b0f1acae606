"""The blog's pages as a visitor, a reader, a poster and an editor use them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from blog.models import Comment, Post, Tag
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S | re.I)


def without_json_ld(html: str) -> str:
    """The page without its JSON-LD data blocks (the post page's only script
    elements), after checking that none holds a "<" of its own."""
    assert all("<" not in block for block in JSON_LD.findall(html))
    return JSON_LD.sub("", html)


def titles(response) -> list[str]:
    return [post.title for post in response.context["posts"]]


@pytest.fixture
def poster():
    return UserFactory(username="poster", roles=["default", "poster"])


@pytest.fixture
def reader():
    return UserFactory(username="reader", roles=["default"])


# HOME
# ------------------------------------------------------------------------------
class TestHome:
    def test_lists_published_posts_newest_first_without_future_ones(self, client):
        now = timezone.now()
        PostFactory(title="Old", publish_date=now - timedelta(days=2))
        PostFactory(title="New", publish_date=now - timedelta(days=1))
        PostFactory(title="Scheduled", publish_date=now + timedelta(days=1))

        response = client.get("/")

        assert response.status_code == 200
        assert titles(response) == ["New", "Old"]
        assert "Scheduled" not in response.content.decode()

    def test_ten_posts_a_page(self, client):
        now = timezone.now()
        for i in range(23):
            PostFactory(title=f"P{i:02}", publish_date=now - timedelta(hours=i + 1))

        first, third = client.get("/"), client.get("/?page=3")

        assert titles(first) == [f"P{i:02}" for i in range(10)]
        assert titles(third) == ["P20", "P21", "P22"]
        assert client.get("/?page=last").context["page_obj"].number == 3
        # The links between the pages: the first has only "Older", the last only "Newer".
        assert '<a rel="next" href="?page=2">' in first.content.decode()
        assert 'rel="prev"' not in first.content.decode()
        assert '<a rel="prev" href="?page=2">' in third.content.decode()
        assert 'rel="next"' not in third.content.decode()
        assert "Page 3 of 3" in third.content.decode()

    @pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "9" * 30, "%00", "'"])
    def test_page_out_of_range_or_junk_is_a_404_not_a_500(self, client, page):
        for _ in range(21):
            PostFactory()

        response = client.get("/", {"page": page})

        assert response.status_code == 404

    def test_empty_blog_says_so(self, client):
        response = client.get("/")

        assert response.status_code == 200
        assert "No posts here yet." in response.content.decode()

    def test_sidebar_shows_five_recent_posts_and_five_most_used_tags(self, client):
        now = timezone.now()
        tags = [TagFactory(title=f"tag{i}") for i in range(7)]
        for i in range(7):
            # tag{i} is on i+1 posts: tag6 most used, tag0 least.
            PostFactory(
                title=f"S{i}",
                publish_date=now - timedelta(hours=i + 1),
                tags=tags[6 - i :],
            )
        future = PostFactory(publish_date=now + timedelta(days=1), tags=[tags[0]] * 1)
        future.tags.set(tags[:2])

        context = client.get("/").context

        assert [p.title for p in context["recent_posts"]] == ["S0", "S1", "S2", "S3", "S4"]
        assert [t.title for t in context["top_tags"]] == ["tag6", "tag5", "tag4", "tag3", "tag2"]
        assert [t.num_posts for t in context["top_tags"]] == [7, 6, 5, 4, 3]

    def test_top_tags_count_published_posts_only_and_ties_go_by_title(self, client):
        now = timezone.now()
        early, busy, zeta, alpha, unborn = (
            TagFactory(title=title) for title in ("Early", "Busy", "Zeta", "Alpha", "Unborn")
        )
        published = {"publish_date": now - timedelta(hours=1)}
        scheduled = {"publish_date": now + timedelta(days=1)}
        PostFactory.create_batch(2, tags=[early], **published)
        PostFactory(tags=[busy, zeta, alpha], **published)
        PostFactory.create_batch(3, tags=[busy, unborn], **scheduled)

        context = client.get("/").context

        ranked = [(t.title, t.num_posts) for t in context["top_tags"]]
        # Busy's 3 scheduled posts do not count yet; Unborn has no published post.
        assert ranked == [("Early", 2), ("Alpha", 1), ("Busy", 1), ("Zeta", 1)]

    def test_each_post_shows_its_author_tags_and_comment_count(self, client):
        post = PostFactory(title="Counted", tags=[TagFactory(title="Alpha")])
        CommentFactory.create_batch(3, post=post)

        html = client.get("/").content.decode()

        assert "3 comments" in html
        assert 'href="/tag/alpha/"' in html
        assert f'href="/user/{post.author.username}/"' in html


def make_posts(count: int, tags_each: int, comments_each: int) -> None:
    tags = [TagFactory() for _ in range(tags_each)]
    author = UserFactory(roles=["default", "poster"])
    for _ in range(count):
        post = PostFactory(author=author, tags=tags)
        CommentFactory.create_batch(comments_each, post=post, user=None)


class TestQueryCounts:
    """The home page's queries do not grow with posts, tags or comments: authors and
    tags prefetched in one query each and comments counted in SQL (no N+1)."""

    # count, page of posts, their authors, their tags, recent posts, and the top tags:
    # links per tag, links per tag to scheduled posts, the tags shown
    ANONYMOUS_QUERIES = 8
    # + session, user, the user's permissions and their groups' permissions
    SIGNED_IN_QUERIES = ANONYMOUS_QUERIES + 4

    @pytest.mark.parametrize(("posts", "tags", "comments"), [(1, 0, 0), (1, 1, 1), (50, 8, 5)])
    def test_home_anonymous(self, client, django_assert_num_queries, posts, tags, comments):
        make_posts(posts, tags, comments)
        # With no tag on any post there is no tag to read.
        expected = self.ANONYMOUS_QUERIES if tags else self.ANONYMOUS_QUERIES - 1

        with django_assert_num_queries(expected):
            response = client.get("/")

        assert len(response.context["posts"]) == min(posts, 10)

    @pytest.mark.parametrize(("posts", "tags", "comments"), [(1, 1, 1), (50, 8, 5)])
    def test_home_signed_in(self, client, django_assert_num_queries, posts, tags, comments):
        make_posts(posts, tags, comments)
        client.force_login(UserFactory(roles=["default", "poster"]))

        with django_assert_num_queries(self.SIGNED_IN_QUERIES):
            client.get("/")

    @pytest.mark.parametrize("posts", [1, 30])
    def test_tag_page(self, client, django_assert_num_queries, posts):
        make_posts(posts, 3, 2)
        tag = Tag.objects.first()

        # + the tag itself
        with django_assert_num_queries(self.ANONYMOUS_QUERIES + 1):
            client.get(tag.get_absolute_url())

    @pytest.mark.parametrize("comments", [0, 40])
    def test_post_page(self, client, django_assert_num_queries, comments):
        make_posts(1, 5, comments)
        post = Post.objects.get()

        # post + author, its tags, its images, its comments with their users
        with django_assert_num_queries(4):
            client.get(post.get_absolute_url())


# TAG AND AUTHOR PAGES
# ------------------------------------------------------------------------------
class TestTagAndAuthorPages:
    def test_tag_page_lists_only_that_tags_published_posts(self, client):
        tag = TagFactory(title="Ünïcode Tag")
        PostFactory(title="Tagged", tags=[tag])
        PostFactory(title="Untagged")
        PostFactory(title="Future", tags=[tag], publish_date=timezone.now() + timedelta(days=1))

        response = client.get("/tag/ünïcode-tag/")

        assert response.status_code == 200
        assert titles(response) == ["Tagged"]
        assert "Posts tagged “Ünïcode Tag”" in response.content.decode()

    def test_author_page_lists_only_their_posts(self, client, poster):
        PostFactory(title="Mine", author=poster)
        PostFactory(title="Theirs")

        response = client.get("/user/poster/")

        assert titles(response) == ["Mine"]

    def test_tag_and_author_pages_are_paginated(self, client, poster):
        tag = TagFactory()
        for _ in range(12):
            PostFactory(author=poster, tags=[tag])

        assert len(client.get(tag.get_absolute_url(), {"page": 2}).context["posts"]) == 2
        assert len(client.get("/user/poster/", {"page": 2}).context["posts"]) == 2
        assert client.get("/user/poster/", {"page": 3}).status_code == 404

    @pytest.mark.parametrize(
        "url", ["/tag/nope/", "/user/nobody/", "/post/nope/", "/post/nope/edit/", "/nowhere/"]
    )
    def test_unknown_objects_are_404(self, client, poster, url):
        client.force_login(poster)

        response = client.get(url)

        assert response.status_code == 404
        assert "<h1>Not found</h1>" in response.content.decode()


# ONE POST
# ------------------------------------------------------------------------------
class TestPostPage:
    def test_shows_rendered_markdown_tags_and_comments(self, client):
        post = PostFactory(text="Some **bold** words", tags=[TagFactory(title="Django")])
        CommentFactory(post=post, name="grace", text="First!")

        html = client.get(post.get_absolute_url()).content.decode()

        assert "<strong>bold</strong>" in html
        assert 'href="/tag/django/"' in html
        assert "First!" in html and "grace" in html

    def test_unicode_slug_url_works(self, client, poster):
        client.force_login(poster)
        client.post("/post/new/", {"title": "Привет, мир", "text": "x", "tags": ""})

        response = client.get("/post/привет-мир/")

        assert response.status_code == 200
        assert response.context["post"].title == "Привет, мир"

    def test_future_post_is_404_for_visitors_and_shown_to_its_author(self, client, poster):
        post = PostFactory(author=poster, publish_date=timezone.now() + timedelta(days=1))

        assert client.get(post.get_absolute_url()).status_code == 404
        client.force_login(poster)
        assert client.get(post.get_absolute_url()).status_code == 200

    @pytest.mark.parametrize(
        ("markdown", "forbidden"),
        [
            ("<script>alert('x')</script>", "<script"),
            ('<img src="x.png" onerror="alert(1)">', "onerror"),
            ("[click me](javascript:alert(1))", "javascript:"),
            ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
            ('<svg onload="alert(1)"></svg>', "onload"),
        ],
    )
    def test_script_in_a_post_never_reaches_the_page(self, client, poster, markdown, forbidden):
        client.force_login(poster)
        client.post("/post/new/", {"title": "Evil", "text": markdown, "tags": ""})
        post = Post.objects.get()

        for url in (post.get_absolute_url(), "/", "/feed/"):
            html = client.get(url).content.decode().lower()
            html = without_json_ld(html)
            assert forbidden not in html, url


# COMMENTS
# ------------------------------------------------------------------------------
class TestComments:
    def test_valid_comment_is_saved_and_redirects_back(self, client, reader):
        post = PostFactory()
        client.force_login(reader)

        response = client.post(post.get_absolute_url(), {"text": "Lovely post ✓"})

        assert response.status_code == 302
        assert response["Location"] == post.get_absolute_url() + "#comments"
        comment = Comment.objects.get()
        assert (comment.post, comment.user, comment.name, comment.text) == (
            post,
            reader,
            "reader",
            "Lovely post ✓",
        )
        assert "Lovely post ✓" in client.get(response["Location"]).content.decode()

    @pytest.mark.parametrize("text", ["", "   ", "x" * 10_000])
    def test_invalid_comment_re_renders_with_a_field_error(self, client, reader, text):
        post = PostFactory()
        client.force_login(reader)

        response = client.post(post.get_absolute_url(), {"text": text})

        assert response.status_code == 200
        assert "text" in response.context["comment_form"].errors
        assert 'class="errorlist' in response.content.decode()
        assert Comment.objects.count() == 0

    def test_script_in_a_comment_is_shown_as_text(self, client, reader):
        post = PostFactory()
        client.force_login(reader)
        evil = "<script>alert(1)</script> <img src=x onerror=alert(2)> <a href='javascript:x'>"

        client.post(post.get_absolute_url(), {"text": evil})

        html = without_json_ld(client.get(post.get_absolute_url()).content.decode())
        assert "<script" not in html.lower()
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert Comment.objects.get().text == evil

    def test_anonymous_visitor_is_sent_to_login_and_nothing_saved(self, client):
        post = PostFactory()

        response = client.post(post.get_absolute_url(), {"text": "hi"})

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert Comment.objects.count() == 0

    def test_user_without_the_default_role_gets_403(self, client):
        post = PostFactory()
        client.force_login(UserFactory(roles=[]))

        response = client.post(post.get_absolute_url(), {"text": "hi"})

        assert response.status_code == 403
        assert Comment.objects.count() == 0

    def test_comment_on_a_future_post_is_refused(self, client, poster):
        post = PostFactory(author=poster, publish_date=timezone.now() + timedelta(days=1))
        client.force_login(poster)

        response = client.post(post.get_absolute_url(), {"text": "early"})

        assert response.status_code == 403
        assert Comment.objects.count() == 0

    def test_comment_without_csrf_token_is_refused(self, reader):
        post = PostFactory()
        client = Client(enforce_csrf_checks=True)
        client.force_login(reader)

        response = client.post(post.get_absolute_url(), {"text": "forged"})

        assert response.status_code == 403
        assert Comment.objects.count() == 0

    def test_comment_with_the_pages_csrf_token_is_accepted(self, reader):
        post = PostFactory()
        client = Client(enforce_csrf_checks=True)
        client.force_login(reader)
        page = client.get(post.get_absolute_url()).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        response = client.post(
            post.get_absolute_url(), {"text": "real", "csrfmiddlewaretoken": token}
        )

        assert response.status_code == 302
        assert Comment.objects.count() == 1


# WRITING AND EDITING
# ------------------------------------------------------------------------------
class TestCreatePost:
    def test_anonymous_visitor_is_sent_to_login(self, client):
        response = client.get("/post/new/")

        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/post/new/"

    def test_user_who_may_not_post_gets_403(self, client, reader):
        client.force_login(reader)

        response = client.get("/post/new/")
        assert response.status_code == 403
        # It says what is missing and how one gets it, not only "not allowed".
        assert "Writing posts takes the poster role" in response.content.decode()
        assert "Ask one of them" in response.content.decode()
        assert client.post("/post/new/", {"title": "T", "text": "x"}).status_code == 403
        assert Post.objects.count() == 0

    def test_poster_writes_a_post_with_new_and_existing_tags(self, client, poster):
        TagFactory(title="Django")
        client.force_login(poster)

        response = client.post(
            "/post/new/",
            {"title": "My post", "text": "# Hello", "tags": "django, Brand New ,, café"},
        )

        post = Post.objects.get()
        assert response.status_code == 302
        assert response["Location"] == "/post/my-post/"
        assert post.author == poster
        assert sorted(t.slug for t in post.tags.all()) == ["brand-new", "café", "django"]
        assert Tag.objects.count() == 3
        assert "<h2" in post.html

    def test_a_future_publish_date_schedules_the_post(self, client, poster):
        client.force_login(poster)
        when = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

        client.post("/post/new/", {"title": "Later", "text": "x", "publish_date": when})

        assert not Post.objects.get().is_published
        assert list(Post.objects.published()) == []

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"title": "", "text": "x"}, "title"),
            ({"title": "   ", "text": "x"}, "title"),
            ({"title": "x" * 201, "text": "x"}, "title"),
            ({"title": "T", "text": ""}, "text"),
            ({"title": "T", "text": "x", "tags": "???"}, "tags"),
            ({"title": "T", "text": "x", "tags": "y" * 51}, "tags"),
            ({"title": "T", "text": "x", "tags": ",".join(f"t{i}" for i in range(11))}, "tags"),
            ({"title": "T", "text": "x", "publish_date": "not a date"}, "publish_date"),
        ],
    )
    def test_bad_input_is_a_field_error_and_nothing_is_saved(self, client, poster, data, field):
        client.force_login(poster)

        response = client.post("/post/new/", data)

        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert Post.objects.count() == 0
        assert Tag.objects.count() == 0

    def test_post_without_csrf_token_is_refused(self, poster):
        client = Client(enforce_csrf_checks=True)
        client.force_login(poster)

        response = client.post("/post/new/", {"title": "T", "text": "x"})

        assert response.status_code == 403
        assert Post.objects.count() == 0


class TestEditPost:
    def test_author_edits_their_post(self, client, poster):
        post = PostFactory(author=poster, title="Before", tags=[TagFactory(title="old")])
        client.force_login(poster)

        form = client.get(f"/post/{post.slug}/edit/")
        assert form.context["form"]["tags"].value() == "old"

        response = client.post(
            f"/post/{post.slug}/edit/", {"title": "After", "text": "*new*", "tags": "fresh"}
        )

        post.refresh_from_db()
        assert response.status_code == 302
        assert (post.title, post.slug) == ("After", "before")
        assert "<em>new</em>" in post.html
        assert [t.title for t in post.tags.all()] == ["fresh"]

    def test_empty_publish_date_keeps_the_old_one(self, client, poster):
        date = timezone.now() - timedelta(days=10)
        post = PostFactory(author=poster, publish_date=date)
        client.force_login(poster)

        client.post(f"/post/{post.slug}/edit/", {"title": "T", "text": "x", "publish_date": ""})

        post.refresh_from_db()
        assert post.publish_date == date

    def test_other_poster_gets_403(self, client, poster):
        post = PostFactory(title="Not yours")
        client.force_login(poster)

        assert client.get(f"/post/{post.slug}/edit/").status_code == 403
        response = client.post(f"/post/{post.slug}/edit/", {"title": "Hijacked", "text": "x"})

        assert response.status_code == 403
        post.refresh_from_db()
        assert post.title == "Not yours"

    def test_reader_gets_403(self, client, reader):
        post = PostFactory()
        client.force_login(reader)

        assert client.get(f"/post/{post.slug}/edit/").status_code == 403

    def test_editor_edits_any_post(self, client):
        post = PostFactory()
        client.force_login(UserFactory(roles=["admin"]))

        response = client.post(f"/post/{post.slug}/edit/", {"title": "Edited", "text": "x"})

        assert response.status_code == 302
        post.refresh_from_db()
        assert post.title == "Edited"

    def test_anonymous_visitor_is_sent_to_login(self, client):
        post = PostFactory()

        response = client.get(f"/post/{post.slug}/edit/")

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_invalid_edit_changes_nothing(self, client, poster):
        post = PostFactory(author=poster, title="Keep me")
        client.force_login(poster)

        response = client.post(f"/post/{post.slug}/edit/", {"title": "", "text": "x"})

        assert "title" in response.context["form"].errors
        post.refresh_from_db()
        assert post.title == "Keep me"

    def test_edit_link_shows_only_to_those_who_may_edit(self, client, poster, reader):
        post = PostFactory(author=poster)
        edit_url = f"/post/{post.slug}/edit/"

        client.force_login(reader)
        assert edit_url not in client.get(post.get_absolute_url()).content.decode()
        client.force_login(poster)
        assert edit_url in client.get(post.get_absolute_url()).content.decode()


def test_write_link_shows_only_to_posters(client, poster, reader):
    client.force_login(reader)
    assert 'href="/post/new/"' not in client.get("/").content.decode()

    client.force_login(poster)
    assert 'href="/post/new/"' in client.get("/").content.decode()
