"""Query-string filters of the post list (django-filter, documented in the schema)."""

from __future__ import annotations

import django_filters

from blog.models import Post


class PostFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(
        field_name="tags__slug", help_text="Only posts with this tag (its slug)."
    )
    author = django_filters.CharFilter(
        field_name="author__username", help_text="Only posts by this author (a username)."
    )

    class Meta:
        model = Post
        fields = ["tag", "author"]
