"""Benchmark 4: the home, post, tag and user pages under gunicorn (2 workers), for an
anonymous visitor and for a signed-in reader.

10,000 posts, 200 tags, 50,000 comments on MariaDB, written in bulk (each post's
Markdown rendered once, as ``Post.save`` does). Requests per second and p99 for ``/``,
``/post/<slug>/`` (another of 2,000 posts each request), ``/tag/<slug>/`` (another of
the 200 tags each request) and ``/user/<username>/``, beside a trivial view on the same
server (``/bench/trivial/``: same middleware, no database). The signed-in reader (role
``default``) sends a session cookie with every request, the trivial view's too (that
row shows what every signed-in request pays: the session and the user are read).
Then the same pages with every cache off (``BLOG_PAGE_CACHE_SECONDS=0``: what every
reader got before the fragments), without targets.
Targets: a signed-in reader's pages at least 0.5 of the trivial view's rate, an
anonymous visitor's at least 0.9. ``BENCH_PAGES_SECONDS`` (20) shortens a run.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta

from bench import harness
from bench.http_load import hammer

POSTS = 10_000
TAGS = 200
COMMENTS = 50_000
SECONDS = int(os.environ.get("BENCH_PAGES_SECONDS", "20"))
WARM_UP = 3

TEXTS = [
    "# A post about {n}\n\nSome *Markdown* with a [link](https://example.com/{n}) and "
    "`code`.\n\n- one\n- two\n- three\n\n" + "A paragraph of ordinary words. " * 40,
    "Short post {n}, with **bold** text.\n\n> A quotation.\n\n" + "More text here. " * 20,
]


def populate() -> list[str]:
    """The data set, made once; returns the posts' slugs."""
    from django.utils import timezone

    from blog.models import Comment, Post, Tag, User
    from blog.rendering import excerpt_from_html, render_markdown

    slugs = list(Post.objects.filter(slug__startswith="bench-").values_list("slug", flat=True))
    if len(slugs) >= POSTS and Comment.objects.count() >= COMMENTS:
        return slugs
    Comment.objects.all().delete()
    Post.objects.all().delete()
    Tag.objects.filter(slug__startswith="bench-").delete()
    author, _ = User.objects.get_or_create(
        username="bench-author", defaults={"email": "bench-author@example.com"}
    )
    tags = Tag.objects.bulk_create(
        Tag(title=f"Bench tag {i}", slug=f"bench-tag-{i}") for i in range(TAGS)
    )
    now = timezone.now()
    rendered = []
    for i, text in enumerate(TEXTS):
        html = render_markdown(text.format(n=i))  # once per text, as a save would
        rendered.append((text.format(n=i), html, excerpt_from_html(html)))
    posts = []
    for i in range(POSTS):
        text, html, excerpt = rendered[i % len(rendered)]
        posts.append(
            Post(
                title=f"Bench post {i}",
                slug=f"bench-post-{i}",
                text=text,
                html=html,
                excerpt=excerpt,
                author=author,
                # A post every 12 hours: 14 in the digest's week, as on a busy blog.
                publish_date=now - timedelta(hours=12 * i),
            )
        )
    Post.objects.bulk_create(posts, batch_size=1000)
    posts = list(Post.objects.filter(slug__startswith="bench-post-").only("pk"))
    rng = random.Random(5)
    through = Post.tags.through
    links = []
    for post in posts:
        for tag in rng.sample(tags, 3):
            links.append(through(post_id=post.pk, tag_id=tag.pk))
    through.objects.bulk_create(links, batch_size=5000)
    comments = [
        Comment(
            post_id=posts[i % len(posts)].pk,
            name=f"Reader {i}",
            text="A thoughtful comment. " * 5,
            date=now - timedelta(seconds=i),
        )
        for i in range(COMMENTS)
    ]
    Comment.objects.bulk_create(comments, batch_size=5000)
    return [f"bench-post-{i}" for i in range(POSTS)]


READER = "bench-reader"
PAGES = ("trivial", "home", "post", "tag", "user")
LABELS = {
    "trivial": "/bench/trivial/",
    "trivial again": "/bench/trivial/ (again, last)",
    "home": "/",
    "post": "/post/<slug>/",
    "tag": "/tag/<slug>/",
    "user": "/user/<username>/",
}


def reader_cookies() -> dict[str, str]:
    """A signed-in reader's session cookie (role ``default``), the session in the
    database as a login leaves it."""
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client

    from blog.models import User
    from blog.permissions import DEFAULT_GROUP

    reader, _ = User.objects.get_or_create(
        username=READER, defaults={"email": f"{READER}@example.com"}
    )
    reader.groups.add(*Group.objects.filter(name=DEFAULT_GROUP))
    client = Client()
    client.force_login(reader)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def measure(paths: dict[str, list[str]], cache_seconds: int, seconds: int, readers: dict) -> dict:
    """Each page for each reader (``{name: cookies}``) on one gunicorn (2 workers) with
    the page cache set to ``cache_seconds``: ``{(reader, page): LoadResult}``."""
    measured = {}
    with harness.web(
        broker_url=harness.AMQP_URL, workers=2, BLOG_PAGE_CACHE_SECONDS=str(cache_seconds)
    ) as (base_url, _):
        for reader, cookies in readers.items():
            for name in PAGES:
                hammer(base_url, paths[name], seconds=WARM_UP, cookies=cookies)
                measured[reader, name] = hammer(
                    base_url, paths[name], seconds=seconds, cookies=cookies
                )
        # The baseline again at the end: on a shared machine one measurement of it can
        # be taken in a busy moment; the ratios divide by the mean of both.
        measured["anonymous", "trivial again"] = hammer(base_url, paths["trivial"], seconds=seconds)
    return measured


def run(seconds: int = SECONDS) -> list[harness.Result]:
    slugs = populate()
    rng = random.Random(4)
    paths = {
        "trivial": ["/bench/trivial/"],
        "home": ["/"],
        "post": [f"/post/{slug}/" for slug in rng.sample(slugs, 2000)],
        "tag": [f"/tag/bench-tag-{i}/" for i in rng.sample(range(TAGS), TAGS)],
        "user": ["/user/bench-author/"],
    }
    signed_in = reader_cookies()
    # The production default keeps anonymous pages and everyone's fragments for 60 s
    # (or until the content changes); with 0 every request renders everything.
    runs = {
        "cached": measure(paths, 60, seconds, {"anonymous": None, "signed in": signed_in}),
        "uncached": measure(paths, 0, seconds, {"anonymous": None}),
    }
    return [pages_result(runs, seconds)]


def pages_result(runs: dict, seconds: int) -> harness.Result:
    """The table, figures and targets of both runs, each page's rate as a ratio of the
    trivial view's for an anonymous visitor in the same run."""
    rows, figures, targets = [], {}, []
    for mode, server, goals in (
        ("cached", "page cache 60 s (default)", {"anonymous": 0.9, "signed in": 0.5}),
        ("uncached", "every cache off", {}),
    ):
        measured = runs[mode]
        trivial = (
            measured["anonymous", "trivial"].per_second
            + measured["anonymous", "trivial again"].per_second
        ) / 2
        suffix = "" if mode == "cached" else "_uncached"
        figures[f"trivial_rps_baseline{suffix}"] = trivial
        for reader, name in measured:
            result = measured[reader, name]
            ratio = result.per_second / trivial
            rows.append(
                [
                    server,
                    reader,
                    LABELS[name],
                    f"{result.per_second:.0f}",
                    f"{harness.percentile(result.latencies, 50) * 1000:.1f}",
                    f"{harness.percentile(result.latencies, 99) * 1000:.1f}",
                    str(result.errors),
                    f"{ratio:.2f}",
                ]
            )
            # The chart's names of the anonymous figures are kept (bench/chart.py).
            who = "" if reader == "anonymous" else "_signed_in"
            if name == "trivial again":
                continue
            figures[f"{name}_rps{who}{suffix}"] = result.per_second
            if name != "trivial":
                p99 = harness.percentile(result.latencies, 99) * 1000
                figures[f"{name}_p99_ms{who}{suffix}"] = p99
            if name != "trivial" and reader in goals:
                targets.append(
                    harness.Target(
                        f"{LABELS[name]} {reader} at least {goals[reader]} x trivial",
                        ratio,
                        goals[reader],
                    )
                )
    return harness.Result(
        key="pages",
        title=(
            f"4. Pages: {POSTS:,} posts, {TAGS} tags, {COMMENTS:,} comments, "
            f"gunicorn 2 workers, 4 client connections, {seconds} s each"
        ),
        headers=["server", "reader", "path", "req/s", "p50 ms", "p99 ms", "errors", "x trivial"],
        rows=rows,
        figures=figures,
        targets=targets,
        notes=[
            "Each post request for another of 2,000 posts, each tag request for another of "
            "200 tags; the signed-in reader (role default) sends its session cookie, the "
            "trivial view's requests too. x trivial: of the mean of the anonymous trivial "
            "view's two rates in the same server run (first and last). The load "
            "generator (raw sockets, bench/http_load.py) runs on the same 2 cores as "
            "gunicorn and MariaDB. The cache is per gunicorn worker (locmem): each worker "
            "renders each post's fragment once.",
        ],
    )
