"""Search at /search/?q= and its index, in English and Chinese, on SQLite (FTS5 trigram)
and on MariaDB (FULLTEXT of our bigrams): run again with DATABASE_URL=mysql://...

Transactional: InnoDB's FULLTEXT index sees rows only once their transaction commits.
Posts are written through ``blog.services``, which keep the index in step (the
factories save models directly and bypass it).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from blog.models import Post
from blog.search import SearchResults, parse_query
from blog.search.backends import TABLE, backend
from blog.search.text import excerpt, index_terms
from blog.selectors import posts_listed
from blog.services import post_create, post_delete, post_update
from tests.factories import TagFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def author():
    return UserFactory(username="writer", roles=["default", "poster"])


@pytest.fixture
def write(author):
    def write(title, text="Nothing to see.", tags=(), **kwargs):
        return post_create(author=author, title=title, text=text, tags=tags, **kwargs)

    return write


def found(client, q: str, **params) -> list[str]:
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    return [post.title for post in response.context["posts"]]


# WHAT IS FOUND
# ------------------------------------------------------------------------------
def test_finds_english_words_in_title_text_and_tags(client, write):
    write("Queues and retries", "How a worker claims a task.")
    write("Email delivery", "SMTP lanes and the *welcome* email.", tags=["Celery"])
    write("Unrelated", "Cooking pasta.")

    assert found(client, "queues") == ["Queues and retries"]
    assert found(client, "welcome") == ["Email delivery"]
    assert found(client, "celery") == ["Email delivery"]
    assert found(client, "SMTP welcome") == ["Email delivery"]  # every term required
    assert found(client, "SMTP pasta") == []


def test_a_match_in_the_title_ranks_before_one_in_the_text(client, write):
    write("A note", "Something about django deep in the text of a long post.")
    write("Django tips", "Short.")

    assert found(client, "django") == ["Django tips", "A note"]


def test_finds_chinese(client, write):
    write("我的轻博客", "这是一个用 Django 写的博客。")
    write("Another post", "正文里也有轻博客三个字。")
    write("无关", "今天天气很好。", tags=["中文标签"])

    assert sorted(found(client, "轻博客")) == ["Another post", "我的轻博客"]
    assert found(client, "轻博客")[0] == "我的轻博客"  # the title first
    assert sorted(found(client, "博客")) == ["Another post", "我的轻博客"]  # two characters
    assert found(client, "天气") == ["无关"]
    assert found(client, "中文标签") == ["无关"]
    assert found(client, "轻博客 django") == ["我的轻博客"]
    assert found(client, "博客轻") == []  # characters in another order are another word


@pytest.mark.parametrize("q", ["go", "天", "AI"])
def test_one_or_two_characters_are_searched_too(client, write, q):
    write("Go and AI", "天 is heaven.")
    write("Nothing", "Pasta.")

    assert found(client, q) == ["Go and AI"]


def test_drafts_and_scheduled_posts_never_appear(client, write):
    write("Published kiwi", "kiwi")
    write("Draft kiwi", "kiwi", draft=True)
    write("Scheduled kiwi", "kiwi", publish_date=timezone.now() + timedelta(days=1))

    response = client.get("/search/", {"q": "kiwi"})

    assert [p.title for p in response.context["posts"]] == ["Published kiwi"]
    assert response.context["paginator"].count == 1
    assert found(client, "ki") == ["Published kiwi"]  # the short-term path too


def test_excerpts_are_escaped_then_the_matches_marked(client, write):
    write("Markup", "Write `<mark>` and <b>bold</b> then a < b & searchable words.")

    response = client.get("/search/", {"q": "searchable"})
    html = response.content.decode()

    assert "<mark>searchable</mark>" in html
    assert "&lt;mark&gt;" in html  # the post's own text is text
    assert re.findall(r"<mark>(.*?)</mark>", html) == ["searchable"]


def test_excerpt_is_around_the_first_match():
    text = " ".join(["filler"] * 200) + " the needle is here " + " ".join(["more"] * 200)
    html = excerpt(text, ("needle",))

    assert "<mark>needle</mark>" in html
    assert html.startswith("…") and html.endswith("…")
    assert len(html) < 400


def test_results_are_paginated_and_keep_the_query(client, write):
    now = timezone.now()
    for i in range(23):
        write(f"Kiwi {i:02}", "kiwi", publish_date=now - timedelta(hours=i + 1))

    third = client.get("/search/", {"q": "kiwi", "page": 3})

    assert third.context["paginator"].count == 23
    assert len(third.context["posts"]) == 3
    assert 'href="?q=kiwi&amp;page=2"' in third.content.decode()
    assert client.get("/search/", {"q": "kiwi", "page": 4}).status_code == 404


# THE INDEX IN STEP WITH THE POSTS
# ------------------------------------------------------------------------------
def test_index_follows_updates_tags_drafts_and_deletion(client, write):
    post = write("Apples", "Red fruit.", tags=["Orchard"])

    post_update(post=post, title="Pears", text="Green fruit.")
    assert found(client, "apples") == []
    assert found(client, "pears green") == ["Pears"]

    post_update(post=post, tags=["Garden"])
    assert found(client, "orchard") == []
    assert found(client, "garden") == ["Pears"]

    post_update(post=post, draft=True)
    assert found(client, "pears") == []
    post_update(post=post, draft=False)
    assert found(client, "pears") == ["Pears"]

    post_delete(post=post)
    assert found(client, "pears") == []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        assert cursor.fetchone()[0] == 0


def test_rebuild_command_makes_the_index_from_the_posts(client, write):
    write("Lost and found", "An index emptied by hand.")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    assert found(client, "emptied") == []

    call_command("rebuild_search_index", stdout=(out := __import__("io").StringIO()))

    assert out.getvalue().strip() == "Indexed 1 post."
    assert found(client, "emptied") == ["Lost and found"]


def test_mariadb_terms_spell_cjk_as_bigrams():
    # What MySQL's ngram parser (size 2) would index, as words any InnoDB indexes.
    assert index_terms("轻博客 Django") == "zh8f7b535a zh535a5ba2 django"


# BAD INPUT
# ------------------------------------------------------------------------------
NASTY = [
    "",
    "   ",
    "!!!???...",
    '+-*"()~<>@:^',
    '"unclosed',
    "AND OR NOT NEAR",
    "NEAR(kiwi pear, 2)",
    "title:kiwi",
    "^kiwi",
    "-kiwi +kiwi",
    "kiwi*",
    "*",
    "'; DROP TABLE blog_post; --",
    "%_%",
    "\\",
    "x" * 200,
]


@pytest.mark.parametrize("q", NASTY)
def test_hostile_queries_get_a_page(client, write, q):
    write("Kiwi", "kiwi pear")

    response = client.get("/search/", {"q": q})

    assert response.status_code == 200
    assert all(post.title == "Kiwi" for post in response.context["posts"])


@pytest.mark.parametrize("q", ["-kiwi +kiwi", "kiwi*", '"kiwi" OR (pear)', "kiwi:pear"])
def test_operators_are_only_separators(client, write, q):
    write("Kiwi", "kiwi pear")

    assert found(client, q) == ["Kiwi"]


def test_a_query_too_long_is_a_form_error(client, write, settings):
    settings.BLOG_SEARCH_QUERY_MAX_LENGTH = 200
    write("Kiwi", "kiwi")

    response = client.get("/search/", {"q": "kiwi " * 2000})  # 10,000 characters

    assert response.status_code == 200
    assert list(response.context["posts"]) == []
    assert "at most 200 characters" in response.content.decode()


def test_a_null_character_is_a_form_error(client):
    response = client.get("/search/?q=ki%00wi")

    assert response.status_code == 200
    assert response.context["search_form"].errors


# QUERIES AND THE SEARCH BOX
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("posts", [1, 25])
def test_a_results_page_takes_a_fixed_number_of_queries(
    client, write, django_assert_num_queries, posts
):
    for i in range(posts):
        write(f"Kiwi {i}", f"kiwi number {i}", tags=["Fruit", f"Tag {i % 3}"])

    # The count, the page's ids, the posts (comment counts in a subquery), their
    # authors, their tags: never one per result.
    with django_assert_num_queries(5):
        response = client.get("/search/", {"q": "kiwi"})

    assert len(response.context["posts"]) == min(posts, 10)


def test_no_match_and_no_query_take_fewer_queries(client, write, django_assert_num_queries):
    write("Kiwi", "kiwi")

    with django_assert_num_queries(1):  # the count: nothing found, no page to read
        client.get("/search/", {"q": "durian"})
    with django_assert_num_queries(0):
        client.get("/search/")


@pytest.mark.parametrize("path", ["/", "/search/", "/accounts/login/", "/no-such-page/"])
def test_every_page_has_the_search_box(client, path):
    html = client.get(path).content.decode()

    assert '<form class="site-search" role="search" method="get" action="/search/">' in html


def test_search_results_from_the_selector_directly(write):
    write("Kiwi", "kiwi")
    results = SearchResults(parse_query("kiwi"), posts_listed())

    assert results.count() == 1
    assert [post.title for post in results[0:10]] == ["Kiwi"]
    assert results[5:10] == []
    with pytest.raises(TypeError):
        results[0]


def test_index_table_matches_the_vendor():
    assert type(backend()).__name__ == {
        "sqlite": "SQLiteBackend",
        "mysql": "MySQLBackend",
    }.get(connection.vendor, "Backend")


def test_the_home_pages_q_is_sent_to_search(client):
    response = client.get("/", {"q": "轻博客 go"})

    assert response.status_code == 302
    assert response["Location"] == "/search/?q=%E8%BD%BB%E5%8D%9A%E5%AE%A2+go"


def test_the_admin_keeps_the_index_in_step(client, author):
    staff = Client()
    staff.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    tag = TagFactory(title="Orchard")
    added = staff.post(
        "/admin/blog/post/add/",
        {
            "title": "Added in the admin",
            "author": author.pk,
            "publish_date_0": "2026-01-01",
            "publish_date_1": "10:00:00",
            "text": "Quince jelly.",
            "tags": [tag.pk],
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
        },
    )
    assert added.status_code == 302
    assert found(client, "quince orchard") == ["Added in the admin"]

    renamed = staff.post(
        f"/admin/blog/tag/{tag.pk}/change/", {"title": "Vineyard", "slug": tag.slug}
    )
    assert renamed.status_code == 302
    assert found(client, "orchard") == []
    assert found(client, "vineyard") == ["Added in the admin"]

    post = Post.objects.get()
    deleted = staff.post(f"/admin/blog/post/{post.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert found(client, "quince") == []
