"""The Content-Security-Policy in Chromium: the pages work under it, and it holds.

``check_page`` fails on any CSP violation, so every browser test checks its pages; these
add the pages the other paths do not open (the admin's post editor with its widgets,
Swagger UI), and show that a script stored in a post, had the sanitizer let it
through, does not run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from blog.models import Post
from tests.e2e.conftest import CSP_VIOLATION, PageChecker, log_in
from tests.factories import DEFAULT_PASSWORD, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def superuser():
    return UserFactory(username="chief", is_staff=True, is_superuser=True)


def test_the_admins_post_editor_works_under_the_policy(
    page: Page, check_page: PageChecker, superuser
) -> None:
    post = PostFactory(title="Edited in the admin", tags=[TagFactory(title="csp")])
    log_in(page, "chief", DEFAULT_PASSWORD)

    page.goto("/admin/blog/post/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add post")
    # The admin's own scripts ran: the date shortcuts are there.
    expect(page.get_by_role("link", name="Today").first).to_be_visible()
    check_page(page, "admin post add")

    page.goto(f"/admin/blog/post/{post.pk}/change/")
    expect(page.locator("#id_title")).to_have_value("Edited in the admin")
    check_page(page, "admin post change")


def test_swagger_ui_renders_the_api_under_the_policy(page: Page, check_page: PageChecker) -> None:
    page.goto("/api/docs/")

    # The operations are listed: the split-out script ran and fetched the schema.
    expect(page.locator(".opblock-summary-path", has_text="/api/posts/").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Lightblog API")
    check_page(page, "api docs", h1_count=page.locator("h1").count())


def test_a_script_stored_in_a_post_does_not_run(page: Page, live_server) -> None:
    """Written past the sanitizer (the ORM): the browser refuses it and reports it."""
    post = PostFactory(title="Stored", text="x")
    Post.objects.filter(pk=post.pk).update(
        html=(
            "<p>text</p><script>document.title = 'pwned by script';</script>"
            '<img src="/nowhere.png" onerror="document.title = \'pwned by handler\'">'
            '<p style="color: red">styled</p>'
        )
    )
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            violations.append(message.text)

    page.on("console", on_console)
    page.add_init_script(
        'document.addEventListener("securitypolicyviolation", (e) => '
        f'console.error("{CSP_VIOLATION} " + e.violatedDirective))'
    )
    page.goto(f"/post/{post.slug}/")
    expect(page.get_by_text("styled")).to_be_visible()
    page.wait_for_load_state("load")

    assert "pwned" not in page.title()
    directives = " ".join(v for v in violations if CSP_VIOLATION in v)
    assert "script-src" in directives, violations
    assert "style-src" in directives, violations
