"""What keeps a comment burst out: the rate limits per account and per client address
(429, the text kept), the honeypot (silently refused, logged), and the post page's
query counts with many comments, pinned for a reader, a commenter and an editor."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import checks

from blog.models import Comment, CommentStatus
from tests.factories import CommentFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory(username="reader")


def post_comment(client, post, text: str, address: str = "198.51.100.7", **extra):
    return client.post(post.get_absolute_url(), {"text": text, **extra}, REMOTE_ADDR=address)


# RATE LIMITS
# ------------------------------------------------------------------------------
def test_thirty_identical_comments_in_a_burst_are_no_longer_all_accepted(client, reader, settings):
    post = PostFactory()
    client.force_login(reader)

    codes = [post_comment(client, post, "Buy now!").status_code for _ in range(30)]

    limit = settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT
    assert 0 < limit < 30
    assert codes == [302] * limit + [429] * (30 - limit)
    assert Comment.objects.filter(post=post).count() == limit


def test_over_the_account_limit_the_form_comes_back_with_429_a_message_and_the_text(
    client, reader, settings
):
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 2
    post = PostFactory()
    client.force_login(reader)
    post_comment(client, post, "one")
    post_comment(client, post, "two")

    response = post_comment(client, post, "three, kept for later")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "You are commenting too fast" in html
    assert ">\nthree, kept for later</textarea>" in html
    assert Comment.objects.count() == 2


def test_the_31st_comment_from_one_address_is_refused_whatever_the_account(client, settings):
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 0  # off: only the address counts
    settings.BLOG_COMMENTS_PER_HOUR_PER_ADDRESS = 30
    post = PostFactory()
    accounts = UserFactory.create_batch(31)

    codes = []
    for number, user in enumerate(accounts):
        client.force_login(user)
        codes.append(post_comment(client, post, f"Comment {number}").status_code)

    assert codes == [302] * 30 + [429]
    assert "You are commenting too fast" in post_comment(client, post, "again").content.decode()
    assert Comment.objects.count() == 30
    # Another address is not held back by this one.
    assert post_comment(client, post, "elsewhere", address="203.0.113.5").status_code == 302


def test_the_limits_are_off_at_zero(client, reader, settings):
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 0
    settings.BLOG_COMMENTS_PER_HOUR_PER_ADDRESS = 0
    post = PostFactory()
    client.force_login(reader)

    codes = {post_comment(client, post, f"n{n}").status_code for n in range(8)}

    assert codes == {302}
    assert Comment.objects.count() == 8


def test_a_form_error_costs_no_place_in_the_limit(client, reader, settings):
    settings.BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = 1
    post = PostFactory()
    client.force_login(reader)

    assert post_comment(client, post, "   ").status_code == 200
    assert post_comment(client, post, "real").status_code == 302


# THE HONEYPOT
# ------------------------------------------------------------------------------
def test_the_honeypot_is_hidden_from_people_without_inline_style(client, reader):
    post = PostFactory()
    client.force_login(reader)

    html = client.get(post.get_absolute_url()).content.decode()

    trap = re.search(r'<div class="hp" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap is not None
    field = re.search(r"<input[^>]*>", trap.group(1)).group(0)
    assert 'name="website"' in field
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert "style=" not in trap.group(0)
    # The stylesheet moves it off the page (tests/e2e/test_comments.py: out of the viewport).
    stylesheet = Path(finders.find("blog/site.css")).read_text()
    assert re.search(r"^\.hp \{[^}]*left: -10000px", stylesheet, re.M)


@pytest.mark.parametrize("value", ["http://spam.example", " ", "x" * 5000])
def test_a_filled_honeypot_looks_like_success_stores_nothing_and_is_logged(
    client, reader, caplog, value
):
    post = PostFactory()
    client.force_login(reader)

    with caplog.at_level(logging.WARNING, logger="blog.views.comments"):
        response = post_comment(client, post, "Cheap pills", website=value)

    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url() + "#comments"
    assert "your comment is published" in client.get(response["Location"]).content.decode()
    assert not Comment.objects.exists()
    assert any("honeypot" in record.getMessage() for record in caplog.records)


# QUERY COUNTS
# ------------------------------------------------------------------------------
class TestPostPageQueries:
    """The post page's queries do not grow with its comments, whoever reads it: the
    commenters are joined to the comments (no query per comment for its author's name),
    and the per-comment permission checks of the template reuse the permissions Django
    read once per request (no query per comment for "may I edit / hide this?")."""

    def make_page(self, comments: int, commenter):
        post = PostFactory()
        CommentFactory.create_batch(comments, post=post)
        CommentFactory.create_batch(comments, post=post, user=commenter)
        CommentFactory(post=post, status=CommentStatus.HIDDEN)
        CommentFactory(post=post, user=commenter, status=CommentStatus.HELD)
        return post

    @pytest.mark.parametrize("comments", [1, 40])
    def test_anonymous(self, client, django_assert_num_queries, comments, reader):
        post = self.make_page(comments, reader)

        # the post with its author, its tags, its images, its comments with their users
        with django_assert_num_queries(4):
            response = client.get(post.get_absolute_url())
        assert len(response.context["comments"]) == 2 * comments

    @pytest.mark.parametrize("comments", [1, 40])
    def test_a_reader(self, client, django_assert_num_queries, comments, reader):
        post = self.make_page(comments, UserFactory())
        client.force_login(reader)

        # + the session, the user, and the user's and their groups' permissions
        with django_assert_num_queries(8):
            response = client.get(post.get_absolute_url())
        assert len(response.context["comments"]) == 2 * comments

    @pytest.mark.parametrize("comments", [1, 40])
    def test_the_commenter(self, client, django_assert_num_queries, comments, reader):
        post = self.make_page(comments, reader)
        client.force_login(reader)

        with django_assert_num_queries(8):
            response = client.get(post.get_absolute_url())
        assert len(response.context["comments"]) == 2 * comments + 1  # their held one

    @pytest.mark.parametrize("comments", [1, 40])
    def test_the_posts_author(self, client, django_assert_num_queries, comments, reader):
        post = self.make_page(comments, reader)
        client.force_login(post.author)

        with django_assert_num_queries(8):
            response = client.get(post.get_absolute_url())
        assert len(response.context["comments"]) == 2 * comments

    @pytest.mark.parametrize("comments", [1, 40])
    def test_an_editor(self, client, django_assert_num_queries, comments, reader):
        post = self.make_page(comments, reader)
        client.force_login(UserFactory(roles=["default", "admin"], is_staff=True))

        with django_assert_num_queries(8):
            response = client.get(post.get_absolute_url())
        assert len(response.context["comments"]) == 2 * comments + 2  # held and hidden


# SYSTEM CHECKS
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "check_id"),
    [
        ("BLOG_COMMENT_MODERATION_DAYS", "blog.E001"),
        ("BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT", "blog.E002"),
        ("BLOG_COMMENTS_PER_HOUR_PER_ADDRESS", "blog.E003"),
    ],
)
def test_a_negative_comment_setting_fails_the_system_checks(settings, name, check_id):
    assert check_id not in {m.id for m in checks.run_checks()}
    setattr(settings, name, -1)

    assert check_id in {m.id for m in checks.run_checks()}
