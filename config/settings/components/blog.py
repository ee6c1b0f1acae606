"""The blog app's own settings (Django's CACHES, which it uses, stay in base.py)."""

from ..env import VAR_DIR, env

# Seconds an anonymous visitor's page, and every reader's content fragments (home, tag,
# author, post), are served from the cache, never past the next scheduled publication;
# any change to posts, comments, tags or an author's name refreshes them at once
# (docs/blog.md, "Caching"). 0 turns them off.
BLOG_PAGE_CACHE_SECONDS = env.int("BLOG_PAGE_CACHE_SECONDS", default=60)
# Longest search query accepted (characters); a longer one is a form error (the page)
# or a 400 (the API), never work for the database.
BLOG_SEARCH_QUERY_MAX_LENGTH = env.int("BLOG_SEARCH_QUERY_MAX_LENGTH", default=200)
# Comments of accounts younger than this many days wait for the admin role's approval
# (docs/blog.md, "Comments"). 0 publishes every comment at once.
BLOG_COMMENT_MODERATION_DAYS = env.int("BLOG_COMMENT_MODERATION_DAYS", default=0)
# Comments one account may post per minute, and one client address per hour (the page
# and the API alike, counted in the cache); over it: 429. 0 turns a limit off.
BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT = env.int("BLOG_COMMENTS_PER_MINUTE_PER_ACCOUNT", default=5)
BLOG_COMMENTS_PER_HOUR_PER_ADDRESS = env.int("BLOG_COMMENTS_PER_HOUR_PER_ADDRESS", default=20)
# MEDIA: https://docs.djangoproject.com/en/5.2/topics/files/
# Uploaded images (docs/blog.md, "Images"), written through STORAGES["default"].
MEDIA_ROOT = VAR_DIR / "media"
# Where browsers fetch them: a path served by Django or the web server, or a CDN's
# absolute URL ending in "/" (then allowed by the CSP's img-src, components/csp.py).
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
# Images in posts (docs/blog.md, "Images"): the largest upload in bytes, and the most
# pixels (width x height x frames) decoded; over either is a form error.
BLOG_IMAGE_MAX_BYTES = env.int("BLOG_IMAGE_MAX_BYTES", default=10_000_000)
BLOG_IMAGE_MAX_PIXELS = env.int("BLOG_IMAGE_MAX_PIXELS", default=40_000_000)
# Django itself serves MEDIA_URL (with nosniff): on for `make run` and a lone gunicorn;
# off when the web server or an object store serves the files (docs/blog.md, "Images").
BLOG_MEDIA_SERVE = env.bool("BLOG_MEDIA_SERVE", default=True)
# Parser steps a post's Markdown may take to render (about one per bracket, emphasis
# mark, link, line or table cell; 100,000 characters of real prose take under 10,000):
# past it the post is refused with a form error, so no save or preview runs long.
BLOG_MARKDOWN_MAX_STEPS = env.int("BLOG_MARKDOWN_MAX_STEPS", default=20_000)
