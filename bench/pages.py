"""Benchmark 4: the home page and a post's page under gunicorn (2 workers).

10,000 posts, 200 tags, 50,000 comments on MariaDB, written in bulk (each post's
Markdown rendered once, as ``Post.save`` does). Requests per second and p99 for ``/``
and ``/post/<slug>/`` (a different post each request), beside a trivial view on the
same server (``/bench/trivial/``: same middleware, no database).
Target: at least 0.5 of the trivial view's rate.
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench import harness
from bench.http_load import hammer

POSTS = 10_000
TAGS = 200
COMMENTS = 50_000
SECONDS = 20
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


def measure(post_paths: list[str], cache_seconds: int, seconds: int) -> dict:
    """Each URL on one gunicorn (2 workers) with the page cache set to ``cache_seconds``."""
    measured = {}
    with harness.web(
        broker_url=harness.AMQP_URL, workers=2, BLOG_PAGE_CACHE_SECONDS=str(cache_seconds)
    ) as (base_url, _):
        for name, paths in (
            ("trivial", ["/bench/trivial/"]),
            ("home", ["/"]),
            ("post", post_paths),
        ):
            hammer(base_url, paths, seconds=WARM_UP)
            measured[name] = hammer(base_url, paths, seconds=seconds)
    return measured


def run(seconds: int = SECONDS) -> list[harness.Result]:
    slugs = populate()
    rng = random.Random(4)
    post_paths = [f"/post/{slug}/" for slug in rng.sample(slugs, 2000)]
    # The production default caches anonymous list pages for 60 s; with 0 every request
    # renders, as for a signed-in reader.
    runs = {"cached": measure(post_paths, 60, seconds), "uncached": measure(post_paths, 0, seconds)}

    rows = []
    figures: dict = {}
    targets = []
    for mode, label in (("cached", "page cache 60 s (default)"), ("uncached", "page cache off")):
        measured = runs[mode]
        trivial = measured["trivial"].per_second
        for name, path in (
            ("trivial", "/bench/trivial/"),
            ("home", "/"),
            ("post", "/post/<slug>/"),
        ):
            result = measured[name]
            rows.append(
                [
                    label,
                    path,
                    f"{result.per_second:.0f}",
                    f"{harness.percentile(result.latencies, 50) * 1000:.1f}",
                    f"{harness.percentile(result.latencies, 99) * 1000:.1f}",
                    str(result.errors),
                    f"{result.per_second / trivial:.2f}",
                ]
            )
        home, post = measured["home"].per_second, measured["post"].per_second
        suffix = "" if mode == "cached" else "_uncached"
        figures.update(
            {
                f"trivial_rps{suffix}": trivial,
                f"home_rps{suffix}": home,
                f"post_rps{suffix}": post,
                f"home_p99_ms{suffix}": harness.percentile(measured["home"].latencies, 99) * 1000,
                f"post_p99_ms{suffix}": harness.percentile(measured["post"].latencies, 99) * 1000,
            }
        )
        targets += [
            harness.Target(f"/ at least 0.5 x trivial ({label})", home / trivial, 0.5),
            harness.Target(f"/post/<slug>/ at least 0.5 x trivial ({label})", post / trivial, 0.5),
        ]
    return [
        harness.Result(
            key="pages",
            title=(
                f"4. Pages: {POSTS:,} posts, {TAGS} tags, {COMMENTS:,} comments, "
                f"gunicorn 2 workers, 4 client connections, {seconds} s each"
            ),
            headers=["server", "path", "req/s", "p50 ms", "p99 ms", "errors", "x trivial"],
            rows=rows,
            figures=figures,
            targets=targets,
            notes=[
                "Anonymous GETs, each post request for another of 2,000 posts; the load "
                "generator (raw sockets, bench/http_load.py) runs on the same 2 cores as "
                "gunicorn and MariaDB. The post page is never cached.",
            ],
        )
    ]
