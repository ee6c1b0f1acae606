"""The blog's pages for readers: lists, a post and its comments, search, settings.

Thin generic views over the selectors, forms and services; anonymous visitors get the
list and post pages from the page cache (``blog.cache``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, UpdateView

from .. import permissions
from ..cache import page_cache_key
from ..forms import AccountSettingsForm, NewCommentForm, SearchForm
from ..models import Post, Tag, User
from ..selectors import post_comments, posts_listed, posts_matching, sidebar
from .comments import CommentPostMixin

POSTS_PER_PAGE = 10


class AnonymousPageCacheMixin:
    """Serve anonymous visitors a stored copy of the page (see ``blog.cache``).

    Only pages with nothing personal on them qualify: ``page_cache_key`` refuses
    signed-in users and pending messages, so no CSRF token or name is ever stored.
    """

    def get(self, request, *args, **kwargs):
        key = page_cache_key(request)
        if key is None:
            return super().get(request, *args, **kwargs)
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = super().get(request, *args, **kwargs)
        response.add_post_render_callback(
            lambda r: cache.set(key, r.content, settings.BLOG_PAGE_CACHE_SECONDS)
        )
        return response


# LISTS
# ------------------------------------------------------------------------------
class PostListView(AnonymousPageCacheMixin, ListView):
    """Published posts, newest first, 10 a page.

    ``?page=`` past the end or not a number is a 404 (Django's paginator), never a 500.
    """

    template_name = "blog/post_list.html"
    context_object_name = "posts"
    paginate_by = POSTS_PER_PAGE
    heading = _("Latest posts")
    # The home page's ``/?q=`` is a search: sent on to ``/search/?q=``.
    searches = True

    def get(self, request, *args, **kwargs):
        if self.searches and "q" in request.GET:
            return HttpResponseRedirect(reverse("blog:search") + "?" + request.GET.urlencode())
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return posts_listed()

    def get_context_data(self, **kwargs):
        kwargs.setdefault("heading", self.heading)
        return super().get_context_data(**sidebar(), **kwargs)


class TagPostListView(PostListView):
    searches = False

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=_("Posts tagged “%s”") % self.tag.title, tag=self.tag, **kwargs
        )


class AuthorPostListView(PostListView):
    searches = False

    def get_queryset(self):
        self.author = get_object_or_404(User, username=self.kwargs["username"])
        return super().get_queryset().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=_("Posts by %s") % self.author.get_username(), author=self.author, **kwargs
        )


# ONE POST AND ITS COMMENTS
# ------------------------------------------------------------------------------
class PostDetailView(AnonymousPageCacheMixin, CommentPostMixin, DetailView):
    """A post, its tags and the comments the reader may see, and the comment form
    (``CommentPostMixin`` takes the POST).

    A post not yet published is shown only to those who may edit it.
    """

    template_name = "blog/post_detail.html"
    context_object_name = "post"

    def get_queryset(self):
        return Post.objects.select_related("author").prefetch_related("tags", "images")

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not permissions.can_view_post(self.request.user, post):
            raise Http404("No post found matching the query")
        return post

    def get_context_data(self, **kwargs):
        kwargs.setdefault("comment_form", NewCommentForm())
        comments = list(post_comments(self.object, self.request.user))
        return super().get_context_data(
            comments=comments,
            comment_count=sum(1 for comment in comments if comment.is_published),
            **kwargs,
        )


# SEARCH
# ------------------------------------------------------------------------------
class SearchView(ListView):
    """``/search/?q=``: published posts matching the query, best first, with highlighted
    excerpts. Not in the page cache: every query would be a new entry."""

    template_name = "blog/search.html"
    context_object_name = "posts"
    paginate_by = POSTS_PER_PAGE

    def get_queryset(self):
        self.form = SearchForm(self.request.GET)
        return posts_matching(self.form.query())

    def get_context_data(self, **kwargs):
        return super().get_context_data(search_form=self.form, query=self.form.query(), **kwargs)


# ACCOUNT
# ------------------------------------------------------------------------------
class AccountSettingsView(LoginRequiredMixin, UpdateView):
    """The signed-in user's own preferences: today, the weekly digest."""

    form_class = AccountSettingsForm
    template_name = "blog/account_settings.html"
    success_url = reverse_lazy("blog:account_settings")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        messages.success(self.request, _("Your settings are saved."))
        return super().form_valid(form)
