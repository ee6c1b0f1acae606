"""The signup CAPTCHA in Chromium: "New picture" brings another challenge, and the
answer to the new one registers the visitor."""

from __future__ import annotations

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import Page, expect

from blog.models import User
from tests.e2e.conftest import PageChecker

pytestmark = pytest.mark.e2e


def test_a_new_picture_replaces_an_unreadable_one(page: Page, check_page: PageChecker) -> None:
    page.goto("/accounts/signup/")
    key = page.locator('input[name="captcha_0"]')
    image = page.locator("img.captcha")
    first_key, first_src = key.input_value(), image.get_attribute("src")
    check_page(page, "signup with its CAPTCHA")

    page.get_by_role("button", name="New picture").click()

    expect(key).not_to_have_value(first_key)
    expect(image).not_to_have_attribute("src", first_src)
    assert image.get_attribute("src") == f"/captcha/image/{key.input_value()}/"
    page.get_by_label("Username:").fill("grace")
    page.get_by_label("Email:").fill("grace@example.com")
    page.get_by_label("Password:", exact=True).fill("Analytical-Engine-1843")
    page.get_by_label("Password (again):").fill("Analytical-Engine-1843")
    answer = CaptchaStore.objects.get(hashkey=key.input_value()).response
    page.get_by_label("Type the letters in the picture:").fill(answer)
    page.get_by_role("button", name="Sign up").click()

    expect(
        page.get_by_role("navigation", name="Site").get_by_role("button", name="Log out")
    ).to_be_visible()
    assert User.objects.filter(username="grace").exists()
