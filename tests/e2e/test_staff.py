"""Staff in the browser: the admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser(
        username="staffer", email="staffer@example.com", password=PASSWORD
    )


def admin_login(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_staff_logs_into_the_admin(page: Page, check_page, staff_user) -> None:
    page.goto("/admin/")
    expect(page).to_have_url("/admin/login/?next=/admin/")
    # Django's own admin login template has no <h1> (its header is a <div>).
    check_page(page, "admin login", h1_count=0)

    admin_login(page, "staffer", "wrong password")
    expect(page.locator(".errornote")).to_be_visible()

    admin_login(page, "staffer", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")
    check_page(page, "admin index")
