"""The blog app's own settings (Django's CACHES, which it uses, stay in base.py)."""

from ..env import env

# Seconds an anonymous visitor's page (home, tag, author, post) is served from the
# cache; any change to posts, comments or tags refreshes it at once. 0 turns it off.
BLOG_PAGE_CACHE_SECONDS = env.int("BLOG_PAGE_CACHE_SECONDS", default=60)
# Longest search query accepted (characters); a longer one is a form error (the page)
# or a 400 (the API), never work for the database.
BLOG_SEARCH_QUERY_MAX_LENGTH = env.int("BLOG_SEARCH_QUERY_MAX_LENGTH", default=200)
# Parser steps a post's Markdown may take to render (about one per bracket, emphasis
# mark, link, line or table cell; 100,000 characters of real prose take under 10,000):
# past it the post is refused with a form error, so no save or preview runs long.
BLOG_MARKDOWN_MAX_STEPS = env.int("BLOG_MARKDOWN_MAX_STEPS", default=20_000)
