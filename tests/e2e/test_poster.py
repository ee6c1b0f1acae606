"""A poster in the browser: writes a post in Markdown with tags, finds it everywhere,
and is refused someone else's post; a draft with an image, from the editor to its
deletion."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from playwright.sync_api import Page, expect

from blog.models import Post, PostImage
from tests.e2e.conftest import PageChecker, log_in
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.support.images import gps_exif, image_bytes

pytestmark = pytest.mark.e2e

TITLE = "Queues, retries and the welcome email"
MARKDOWN = """\
A welcome email must arrive **exactly once**.

1. commit the user
2. enqueue the task
3. let the worker *claim* it

See [Celery's guide](https://docs.celeryq.dev/) and `acks_late`.

<script>alert("no")</script>
"""


@pytest.fixture
def poster():
    return UserFactory(username="grace", roles=["default", "poster"])


@pytest.fixture
def someone_elses_post():
    return PostFactory(
        title="Linus writes about kernels",
        author=UserFactory(username="linus", roles=["default", "poster"]),
    )


def test_poster_writes_a_post_with_tags_and_finds_it_on_home_tag_page_and_feed(
    page: Page, check_page: PageChecker, poster, someone_elses_post
) -> None:
    log_in(page, "grace", DEFAULT_PASSWORD)

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Write a post").click()
    expect(page).to_have_url("/post/new/")
    check_page(page, "write a post")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Text").fill(MARKDOWN)
    page.get_by_label("Tags").fill("Celery, Email delivery")
    page.get_by_role("button", name="Publish").click()

    # The post page: Markdown rendered, script gone, tags linked.
    post = Post.objects.get(title=TITLE)
    expect(page).to_have_url(f"/post/{post.slug}/")
    expect(page.get_by_role("status")).to_contain_text("Your post is saved")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    prose = page.locator(".prose")
    expect(prose.locator("strong")).to_have_text("exactly once")
    expect(prose.locator("ol > li")).to_have_text(
        ["commit the user", "enqueue the task", "let the worker claim it"]
    )
    expect(prose.get_by_role("link", name="Celery's guide")).to_have_attribute(
        "href", "https://docs.celeryq.dev/"
    )
    expect(prose.locator("code")).to_have_text("acks_late")
    # Only the JSON-LD data block: the post's own script never reaches the page.
    expect(page.locator('script:not([type="application/ld+json"])')).to_have_count(0)
    tags = page.get_by_role("list", name="Tags")
    expect(tags.get_by_role("link")).to_have_text(["Celery", "Email delivery"])
    check_page(page, "the new post")

    # On the home page, newest first.
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Home").click()
    titles = page.get_by_role("main").locator(".post-summary h2")
    expect(titles).to_have_text([TITLE, someone_elses_post.title])
    check_page(page, "home with the new post")

    # On its tag page, alone.
    page.get_by_role("main").get_by_role("link", name="Email delivery").first.click()
    expect(page).to_have_url("/tag/email-delivery/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts tagged “Email delivery”")
    expect(titles).to_have_text([TITLE])
    check_page(page, "tag page")

    # In the feed, with an absolute link to the post.
    response = page.request.get("/feed/")
    assert response.ok, response.status
    assert "xml" in response.headers["content-type"]
    items = ElementTree.fromstring(response.body()).findall("./channel/item")
    assert [item.findtext("title") for item in items] == [TITLE, someone_elses_post.title]
    assert items[0].findtext("link") == page.url.split("/tag/")[0] + f"/post/{post.slug}/"


def test_poster_is_refused_someone_elses_post(
    page: Page, check_page: PageChecker, poster, someone_elses_post
) -> None:
    log_in(page, "grace", DEFAULT_PASSWORD)

    page.goto(someone_elses_post.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(someone_elses_post.title)
    expect(page.get_by_role("link", name="Edit this post")).to_have_count(0)
    check_page(page, "someone else's post")

    response = page.goto(f"/post/{someone_elses_post.slug}/edit/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    check_page(page, "edit refused")

    # A forged POST is refused too, and the post is unchanged.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        f"/post/{someone_elses_post.slug}/edit/",
        form={"title": "Hijacked", "text": "mine now", "tags": ""},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert forged.status == 403
    assert "Your account may not do this" in forged.text()  # refused by permission, not CSRF
    someone_elses_post.refresh_from_db()
    assert someone_elses_post.title == "Linus writes about kernels"


DRAFT_TITLE = "Drafts in the browser"
DRAFT_MARKDOWN = "A **first draft** about 轻博客 and the queues.\n\n<script>alert('no')</script>"


def test_poster_drafts_previews_publishes_finds_and_deletes_a_post(
    page: Page, check_page: PageChecker, poster, browser, live_server
) -> None:
    log_in(page, "grace", DEFAULT_PASSWORD)
    nav = page.get_by_role("navigation", name="Site")
    search_box = page.get_by_role("banner").get_by_label("Search posts")

    # The editor previews the Markdown live, rendered and sanitized by the server.
    nav.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill(DRAFT_TITLE)
    page.get_by_label("Text").fill(DRAFT_MARKDOWN)
    preview = page.locator("#markdown-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("strong")).to_have_text("first draft")
    expect(preview.locator("script")).to_have_count(0)
    check_page(page, "editor with the live preview")

    # Saved as a draft: its own page previews it for its author only.
    page.get_by_role("button", name="Save as draft").click()
    post = Post.objects.get(title=DRAFT_TITLE)
    assert post.is_draft
    expect(page).to_have_url(f"/post/{post.slug}/")
    expect(page.locator(".notice")).to_contain_text("Draft: only you and the editors")
    expect(page.locator(".prose strong")).to_have_text("first draft")
    check_page(page, "the draft previewed")
    visitor = browser.new_context(base_url=live_server.url)
    try:
        assert visitor.request.get(f"/post/{post.slug}/").status == 404
    finally:
        visitor.close()

    # A draft is not found by search, and is listed on "My posts" as a draft.
    search_box.fill("轻博客")
    search_box.press("Enter")
    expect(page.locator(".empty")).to_contain_text("No post matches")
    nav.get_by_role("link", name="My posts").click()
    expect(page).to_have_url("/my/posts/")
    row = page.locator("tr", has_text=DRAFT_TITLE)
    expect(row.locator(".state")).to_have_text("draft")
    check_page(page, "my posts with a draft")

    # Published from the editor.
    row.get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Your post is published.")
    expect(page.locator(".notice")).to_have_count(0)

    # Found by search, in Chinese, the match marked.
    search_box.fill("轻博客")
    search_box.press("Enter")
    results = page.locator(".search-result")
    expect(results).to_have_count(1)
    expect(results.locator("mark").first).to_have_text("轻博客")
    check_page(page, "search results")
    results.get_by_role("link", name=DRAFT_TITLE).click()
    expect(page).to_have_url(f"/post/{post.slug}/")

    # Deleted after a confirmation page.
    page.get_by_role("link", name="Delete this post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete “{DRAFT_TITLE}”?")
    check_page(page, "delete confirmation")
    page.get_by_role("button", name="Delete this post").click()
    expect(page).to_have_url("/my/posts/")
    expect(page.get_by_role("status")).to_contain_text(f"“{DRAFT_TITLE}” is deleted.")
    assert not Post.objects.filter(pk=post.pk).exists()
    search_box.fill("轻博客")
    search_box.press("Enter")
    expect(page.locator(".search-result")).to_have_count(0)


IMAGE_TITLE = "A post with a photo"
IMAGE_ALT = "A grey gradient at dusk"


def test_poster_drafts_a_post_with_an_image_previews_publishes_finds_and_deletes_it(
    page: Page, check_page: PageChecker, poster, browser, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "grace", DEFAULT_PASSWORD)
    nav = page.get_by_role("navigation", name="Site")
    search_box = page.get_by_role("banner").get_by_label("Search posts")

    # A draft with an image (a photo with a GPS position, taken sideways).
    nav.get_by_role("link", name="Write a post").click()
    page.get_by_label("Title").fill(IMAGE_TITLE)
    page.get_by_label("Text").fill("The photo of 轻博客 is below.")
    photo = image_bytes("JPEG", (2400, 1200), exif=gps_exif(orientation=1))
    page.get_by_label("Add an image").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.get_by_label("Image description").fill(IMAGE_ALT)
    check_page(page, "editor with an image chosen")
    page.get_by_role("button", name="Save as draft").click()

    # Its page previews it: the image under the text, sized and lazy, loaded.
    post = Post.objects.get(title=IMAGE_TITLE)
    image = post.images.get()
    expect(page).to_have_url(f"/post/{post.slug}/")
    expect(page.locator(".notice")).to_contain_text("Draft: only you and the editors")
    shown = page.get_by_role("img", name=IMAGE_ALT)
    expect(shown).to_have_attribute("width", "1600")
    expect(shown).to_have_attribute("height", "800")
    expect(shown).to_have_attribute("loading", "lazy")
    expect(shown).to_have_attribute("srcset", re.compile(r"-480\.webp 480w, .*-1600\.webp 1600w$"))
    shown.scroll_into_view_if_needed()
    expect(shown).to_be_visible()
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=shown.element_handle())
    check_page(page, "the draft with its image")
    visitor = browser.new_context(base_url=live_server.url)
    try:
        assert visitor.request.get(f"/post/{post.slug}/").status == 404
        # The live server serves MEDIA_URL itself (Django's test handler, not
        # blog/views/media.py): the headers are checked over runserver instead
        # (tests/blog/test_images_server.py); here, what the browser got.
        served = visitor.request.get(image.src)
        assert served.ok and served.body()[8:12] == b"WEBP"
        assert b"Exif" not in served.body()
    finally:
        visitor.close()

    # The editor lists it; the post is published from there.
    nav.get_by_role("link", name="My posts").click()
    page.locator("tr", has_text=IMAGE_TITLE).get_by_role("link", name="Edit").click()
    images = page.get_by_role("region", name="Images of this post")
    expect(images.get_by_role("img", name=IMAGE_ALT)).to_be_visible()
    check_page(page, "editor listing the image")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Your post is published.")
    expect(page.get_by_role("img", name=IMAGE_ALT)).to_have_attribute("loading", "lazy")

    # Found by search; its page shows the image to a visitor too.
    search_box.fill("轻博客")
    search_box.press("Enter")
    results = page.locator(".search-result")
    expect(results).to_have_count(1)
    results.get_by_role("link", name=IMAGE_TITLE).click()
    expect(page).to_have_url(f"/post/{post.slug}/")
    visitor = browser.new_context(base_url=live_server.url)
    try:
        assert IMAGE_ALT in visitor.request.get(f"/post/{post.slug}/").text()
    finally:
        visitor.close()

    # Deleted: the post, its image and the image's files.
    files = [Path(settings.MEDIA_ROOT) / name for name in image.file_names]
    assert all(f.exists() for f in files)
    page.get_by_role("link", name="Delete this post").click()
    page.get_by_role("button", name="Delete this post").click()
    expect(page).to_have_url("/my/posts/")
    expect(page.get_by_role("status")).to_contain_text(f"“{IMAGE_TITLE}” is deleted.")
    assert not PostImage.objects.exists()
    assert not any(f.exists() for f in files)
    assert page.request.get(image.src).status == 404
