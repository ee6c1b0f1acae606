"""The site in Chinese, in Chromium: a visitor whose browser asks for Chinese reads,
searches and finds the signup and login pages in it; switches to English and back; a
writer and the staff work in Chinese. Every page gets the same checks as the English
paths (layout, CSP, axe-core), and the screenshots show the Chinese as it is drawn
(CI installs fonts-noto-cjk)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from blog import search
from tests.e2e.conftest import DESKTOP, TIMEOUT_MS, PageChecker
from tests.factories import DEFAULT_PASSWORD, CommentFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def context(browser: Browser, live_server):
    """A browser set to Chinese: it sends ``Accept-Language: zh-CN``."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def writer():
    writer = UserFactory(username="ada", roles=["default", "poster"], language="zh-hans")
    post = PostFactory(
        author=writer,
        title="轻博客的第一篇",
        text="这是一篇关于**轻博客**的文章。",
        tags=[TagFactory(title="随笔")],
    )
    CommentFactory(post=post, name="li", text="写得好！")
    search.post_index(post)  # the services index what they write; a factory does not
    return writer


def log_in_chinese(page: Page, login: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("^(用户名或电子邮件|登录)")).first.fill(login)
    page.get_by_label(re.compile("^密码")).fill(password)
    page.get_by_role("button", name="登录").click()
    expect(
        page.get_by_role("navigation", name="网站").get_by_role("button", name="退出")
    ).to_be_visible()


def test_a_visitor_reads_searches_and_switches_language(
    page: Page, check_page: PageChecker, writer
) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("最新文章")
    check_page(page, "home in Chinese")

    page.get_by_role("link", name="轻博客的第一篇").first.click()
    expect(page.get_by_role("heading", level=2, name=re.compile("评论"))).to_be_visible()
    expect(page.locator(".meta").first).to_contain_text("发表于")
    check_page(page, "a post in Chinese")

    page.get_by_role("searchbox", name="搜索文章").fill("轻博客")
    page.get_by_role("button", name="搜索", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("找到 1 篇")
    check_page(page, "search in Chinese")

    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("注册")
    check_page(page, "signup in Chinese")
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    check_page(page, "login in Chinese")

    # The footer's switcher: English, remembered, then back to Chinese.
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Latest posts")
    check_page(page, "home in English after switching")
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("最新文章")


def test_a_writer_and_the_staff_work_in_chinese(
    page: Page, check_page: PageChecker, writer
) -> None:
    log_in_chinese(page, "ada", DEFAULT_PASSWORD)

    page.goto("/my/posts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的文章")
    expect(page.get_by_role("cell", name="已发布")).to_be_visible()
    check_page(page, "my posts in Chinese")

    page.goto("/post/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("写文章")
    expect(page.get_by_text("时区：UTC")).to_be_visible()
    check_page(page, "the editor in Chinese")

    page.goto("/accounts/settings/")
    expect(page.get_by_label("网站和邮件的语言")).to_have_value("zh-hans")
    check_page(page, "settings in Chinese")

    UserFactory(username="chief", is_staff=True, is_superuser=True, language="zh-hans")
    page.context.clear_cookies()
    log_in_chinese(page, "chief", DEFAULT_PASSWORD)
    page.goto("/admin/reminders/reminder/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("提醒")
    check_page(page, "the admin's reminders in Chinese")
