"""A visitor's own comment in the browser: posts it, edits it (and sees "edited"),
deletes it after the confirmation page. The honeypot stays out of a person's sight."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog.models import Comment
from tests.e2e.conftest import PageChecker, log_in
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_visitor_comments_edits_the_comment_then_deletes_it(
    page: Page, check_page: PageChecker
) -> None:
    post = PostFactory(title="On the difference engine")
    UserFactory(username="grace")
    log_in(page, "grace", DEFAULT_PASSWORD)

    # Comments.
    page.goto(f"/post/{post.slug}/")
    honeypot = page.locator('input[name="website"]')
    expect(honeypot).to_have_count(1)
    expect(honeypot).not_to_be_in_viewport()
    page.get_by_label("Your comment").fill("The engine tabulates polynomials.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("status")).to_contain_text("your comment is published")
    mine = page.locator(".comment").filter(has_text="tabulates polynomials")
    expect(mine).to_have_count(1)
    expect(mine).not_to_contain_text("edited")
    check_page(page, "commented")

    # Edits it, and the page says it was edited.
    mine.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your comment")
    expect(page.get_by_label("Your comment")).to_have_value("The engine tabulates polynomials.")
    check_page(page, "edit comment")
    page.get_by_label("Your comment").fill("The engine tabulates polynomials by differences.")
    page.get_by_role("button", name="Save comment").click()
    expect(page.get_by_role("status")).to_contain_text("Your comment is saved")
    mine = page.locator(".comment").filter(has_text="by differences")
    expect(mine).to_have_count(1)
    expect(mine.locator(".comment__edited")).to_contain_text("edited")
    check_page(page, "edited")
    comment = Comment.objects.get(post=post)
    assert comment.edited_at is not None

    # Deletes it, after the confirmation page.
    mine.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your comment?")
    check_page(page, "delete comment")
    assert Comment.objects.filter(pk=comment.pk).exists()
    page.get_by_role("button", name="Delete this comment").click()
    expect(page.get_by_role("status")).to_contain_text("Your comment is deleted")
    expect(page.locator(".comment")).to_have_count(0)
    expect(page.get_by_text("No comments yet.")).to_be_visible()
    check_page(page, "deleted")
    assert not Comment.objects.filter(pk=comment.pk).exists()
