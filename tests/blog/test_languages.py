"""The site in two languages: chosen by the browser, the switcher or the account;
cached pages per language; no English left on the Chinese pages; emails in the
recipient's language (docs/i18n.md)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils.encoding import iri_to_uri

from blog.models import User
from reminders.digest.emails import digest_email
from reminders.models import DigestRun, MailKind, Reminder
from reminders.services import welcome_reminder_create
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory
from tests.support.outbox import deliver_due

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
# Words that stay as they are in Chinese: names, formats and the user's own content.
NOT_ENGLISH = {
    "Lightblog", "RSS", "Atom", "Markdown", "HTML", "JPEG", "PNG", "WebP", "GIF", "SVG",
    "NetNewsWire", "Feedly", "Thunderbird", "Inoreader", "English", "http", "feed",
    "atom", "alice", "user", "com", "example", "ada", "poster", "grant_poster", "UTC",
}  # fmt: skip


def lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode())[1]


def english_words(html: str) -> set[str]:
    """The English words a reader sees: the page's text without head, scripts, styles
    and the words of NOT_ENGLISH."""
    body = re.sub(r"(?s)<head.*?</head>|<script.*?</script>|<style.*?</style>", " ", html)
    text = re.sub(r"<[^>]+>", " ", body)
    return set(re.findall(r"[A-Za-z][A-Za-z']{2,}", text)) - NOT_ENGLISH


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.com", roles=["default", "poster"])


@pytest.fixture
def chinese_post(ada):
    post = PostFactory(
        author=ada, title="轻博客的第一篇", text="这是**正文**。", tags=[TagFactory(title="随笔")]
    )
    CommentFactory(post=post, name="ada", user=ada, text="好文章")
    return post


def test_the_browser_language_chooses_the_page_language(client, chinese_post):
    chinese = client.get("/", **CHINESE)
    english = client.get("/", **ENGLISH)

    assert lang(chinese) == "zh-hans" and chinese["Content-Language"] == "zh-hans"
    assert "<h1>最新文章</h1>" in chinese.content.decode()
    assert ">登录</a>" in chinese.content.decode()
    assert lang(english) == "en" and "<h1>Latest posts</h1>" in english.content.decode()
    assert "Accept-Language" in chinese["Vary"]


def test_visitors_pages_are_cached_once_per_language(client, settings, chinese_post):
    settings.BLOG_PAGE_CACHE_SECONDS = 60

    first = client.get("/", **CHINESE).content.decode()
    then = client.get("/", **ENGLISH).content.decode()

    assert "最新文章" in first
    assert "Latest posts" in then and "最新文章" not in then


def test_the_switcher_remembers_a_visitors_choice_in_a_cookie(client, chinese_post):
    home = client.get("/", **ENGLISH).content.decode()
    # The visitor's switcher carries no CSRF token: their pages are cached and shared.
    switcher = re.search(r'<form class="language-switch".*?</form>', home, re.S)[0]
    assert "csrfmiddlewaretoken" not in switcher

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/tag/随笔/"})

    assert response.status_code == 302 and response["Location"] == iri_to_uri("/tag/随笔/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert lang(client.get("/", **ENGLISH)) == "zh-hans"


def test_a_signed_in_users_choice_is_stored_and_wins_over_the_browser(ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    page = client.get("/accounts/settings/", **ENGLISH)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]

    # Without its token the account is not changed: the signed-in form must carry it.
    assert client.post("/i18n/setlang/", {"language": "zh-hans"}).status_code == 403
    ada.refresh_from_db()
    assert ada.language == ""

    client.post("/i18n/setlang/", {"language": "zh-hans", "csrfmiddlewaretoken": token})
    ada.refresh_from_db()
    assert ada.language == "zh-hans"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)  # another browser, say
    assert lang(client.get("/", **ENGLISH)) == "zh-hans"


def test_the_account_settings_choose_the_language_too(client, ada):
    client.force_login(ada)

    client.post("/accounts/settings/", {"language": "zh-hans", "receives_digest": ""})

    ada.refresh_from_db()
    assert ada.language == "zh-hans"
    page = client.get("/accounts/settings/", **ENGLISH).content.decode()
    assert "<h1>账户设置</h1>" in page
    assert '<option value="" selected>浏览器的语言</option>' not in page
    assert '<option value="zh-hans" selected>简体中文</option>' in page


def test_an_unknown_language_changes_nothing(client, ada):
    client.force_login(ada)
    client.get("/")

    response = client.post("/i18n/setlang/", {"language": "xx-evil"})

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.language == ""


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/post/轻博客的第一篇/",
        "/tag/随笔/",
        "/user/ada/",
        "/search/?q=轻博客",
        "/search/?q=nothing-matches-this",
        "/feeds/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/no-such-page/",
    ],
)
def test_a_visitors_chinese_pages_have_no_english_left(client, chinese_post, url):
    response = client.get(url, **CHINESE)

    assert response.status_code in (200, 404)
    assert english_words(response.content.decode()) - {"nothing", "matches", "this"} == set()


@pytest.mark.parametrize(
    "url",
    [
        "/post/new/",
        "/post/轻博客的第一篇/edit/",
        "/post/轻博客的第一篇/delete/",
        "/my/posts/",
        "/accounts/settings/",
        "/accounts/password/change/",
    ],
)
def test_a_writers_chinese_pages_have_no_english_left(client, chinese_post, ada, url):
    client.force_login(ada)

    response = client.get(url, **CHINESE)

    assert response.status_code == 200
    assert english_words(response.content.decode()) == set()


def test_signup_stores_the_language_and_the_welcome_is_written_in_it(client, settings):
    settings.REMINDERS_WELCOME_DELAY = 3600
    user = User.objects.create_user("li", "li@example.com", "x", language="zh-hans")

    reminder = welcome_reminder_create(user)

    assert reminder.subject == "欢迎！"
    assert "欢迎来到 Lightblog！" in reminder.text
    assert f"{settings.SITE_URL.rstrip('/')}/accounts/settings/" in reminder.text
    english = welcome_reminder_create(UserFactory(username="bo", language=""))
    assert english.subject == "Welcome!" and "welcome to Lightblog!" in english.text
    # Both tell one story: signed in now, a confirmation email beside it.
    assert "confirm your address" in english.text
    assert Reminder.objects.count() == 2


def test_the_language_of_the_signup_page_becomes_the_accounts(client, settings):
    from captcha.models import CaptchaStore

    page = client.get("/accounts/signup/", **CHINESE).content.decode()
    key = re.search(r'name="captcha_0" value="([^"]+)"', page)[1]
    client.post(
        "/accounts/signup/",
        {
            "username": "mei",
            "email": "mei@example.com",
            "password1": "Analytical-Engine-1843",
            "password2": "Analytical-Engine-1843",
            "captcha_0": key,
            "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
        },
        **CHINESE,
    )

    mei = User.objects.get(username="mei")
    assert mei.language == "zh-hans"
    assert Reminder.objects.get(user=mei, kind=MailKind.REMINDER).subject == "欢迎！"
    # allauth's confirmation email is written in the request's language too.
    deliver_due()
    assert any("mei@example.com" in m.to and "确认" in m.subject for m in mail.outbox)


def test_the_digest_is_in_each_recipients_language(chinese_post):
    from datetime import date

    run = DigestRun(week=date(2026, 11, 30))
    chinese = digest_email(run, [chinese_post], UserFactory(username="li", language="zh-hans"))
    english = digest_email(run, [chinese_post], UserFactory(username="bo", language=""))

    assert chinese.subject == "Lightblog 本周：1 篇新文章"
    assert "Lightblog 本周的新文章" in chinese.body
    assert english.subject == "This week on Lightblog: 1 new post"
    assert "new on Lightblog this week" in english.body


def test_allauths_pages_use_the_sites_words_in_english(client):
    login = client.get("/accounts/login/", **ENGLISH).content.decode()
    signup = client.get("/accounts/signup/", **ENGLISH).content.decode()

    assert re.search(r"<h1[^>]*>\s*Log in\s*</h1>", login)
    assert "Remember me" in login and "Remember Me" not in login
    assert "Sign In" not in login
    assert re.search(r"<h1[^>]*>\s*Sign up\s*</h1>", signup)
    assert "Sign Up" not in signup


def test_the_sites_own_form_errors_are_in_chinese_too(client):
    from tests.accounts.conftest import signup_data

    response = client.post(
        "/accounts/signup/", signup_data(client, email="\u017fam@example.com"), **CHINESE
    )

    html = response.content.decode()
    assert "请输入 @ 之前只含 ASCII 字母、数字和符号的地址。" in html
    assert "你是想输入 sam@example.com 吗？" in html
