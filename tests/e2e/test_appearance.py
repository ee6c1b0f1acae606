"""How the pages look in Chromium: dark mode follows the system, the footer sits at the
bottom of a short page, a post is centred on a desktop screen, the favicon loads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import PageChecker
from tests.factories import PostFactory

pytestmark = pytest.mark.e2e


def background(page: Page, selector: str = "body") -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")


def test_dark_mode_follows_the_system_setting(page: Page, check_page: PageChecker) -> None:
    PostFactory(title="In the dark")

    page.emulate_media(color_scheme="light")
    page.goto("/")
    assert background(page) == "rgb(255, 255, 255)"

    page.emulate_media(color_scheme="dark")
    page.goto("/")
    assert background(page) == "rgb(13, 17, 23)"
    text = page.eval_on_selector("body", "e => getComputedStyle(e).color")
    assert text == "rgb(230, 237, 243)"
    check_page(page, "home, dark mode")


def test_the_footer_sits_at_the_bottom_of_a_short_page(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/no-such-page/")

    footer = page.locator(".site-footer").bounding_box()

    assert footer is not None
    assert footer["y"] + footer["height"] == pytest.approx(1000, abs=1)


def test_a_post_is_centred_on_a_desktop_screen(page: Page) -> None:
    post = PostFactory(title="Centred", text="A line of text. " * 80)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(post.get_absolute_url())

    article = page.locator("main.content").bounding_box()

    assert article is not None
    left, right = article["x"], 1600 - (article["x"] + article["width"])
    assert abs(left - right) <= 20


def test_the_favicon_loads(page: Page) -> None:
    response = page.goto("/favicon.ico")

    assert response is not None and response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
