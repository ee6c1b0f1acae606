"""The blog's pages for readers: lists, a post and its comments, search, settings.

Thin generic views over the selectors, forms and services; anonymous visitors get the
list and post pages from the page cache (``blog.cache``), and every reader gets their
content from the fragments of ``fragments``, rendered once per content version.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, UpdateView

from .. import permissions
from ..cache import content_cache_set, fragment_cache_key, page_cache_key
from ..forms import AccountSettingsForm, NewCommentForm, SearchForm
from ..models import Post, Tag, User
from ..selectors import posts_listed, posts_matching, sidebar
from . import fragments
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
            return self.uncached_get(request, *args, **kwargs)
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = self.uncached_get(request, *args, **kwargs)
        response.add_post_render_callback(lambda r: content_cache_set(key, r.content))
        return response

    def uncached_get(self, request, *args, **kwargs):
        """The page rendered: a view with a GET of its own overrides this, not ``get``
        (which would bypass the stored copy)."""
        return super().get(request, *args, **kwargs)


class ListFragmentMixin:
    """A list page's content from its fragment (``fragments.ListFragment``), rendered
    from the database only when the cache has none for this address, language and
    content version: the tag or author lookup, the count, the page of posts and the
    sidebar are then all skipped. The page itself (``post_list.html``) only adds the
    reader's header around it."""

    def get(self, request, *args, **kwargs):
        key = fragment_cache_key(request)
        fragment = cache.get(key) if key is not None else None
        if fragment is None:
            self.object_list = self.get_queryset()
            fragment = fragments.list_fragment(request, self.get_context_data())
            if key is not None:
                content_cache_set(key, fragment)
        return self.render_to_response({"fragment": fragment, "view": self})

    def get_template_names(self) -> list[str]:
        return [self.template_name]  # not from the posts: a cached page never reads them


# LISTS
# ------------------------------------------------------------------------------
class PostListView(AnonymousPageCacheMixin, ListFragmentMixin, ListView):
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
        self.check_may_view(post)
        return post

    def check_may_view(self, post: Post) -> None:
        if not permissions.can_view_post(self.request.user, post):
            raise Http404("No post found matching the query")

    def uncached_get(self, request, *args, **kwargs):
        # The post's fragment, when the cache has it, holds what the permission asks
        # (author, draft, publish date): no query for the post at all.
        self.fragment_key = fragment_cache_key(request)
        cached = cache.get(self.fragment_key) if self.fragment_key is not None else None
        if cached is not None:
            self.fragment = cached
            self.check_may_view(cached.post)
            self.object = cached.post
        else:
            self.object = self.get_object()
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        fragment = getattr(self, "fragment", None)
        if fragment is None:
            # A GET the cache had no fragment for, or a POST shown again with its form.
            # The POST's post was read before its key was taken: not stored.
            key = getattr(self, "fragment_key", None)
            if key is None and (post_key := fragment_cache_key(self.request)) is not None:
                fragment = cache.get(post_key)
            if fragment is None:
                fragment = fragments.post_fragment(self.request, self.object, key)
        comments, comments_html = fragments.comments_for(self.request, fragment)
        if "comment_form" in kwargs:  # a POST's form, with its text and errors
            kwargs["comment_form_html"] = None
        else:
            kwargs.update(comment_form=NewCommentForm(), comment_form_html=fragment.comment_form)
        return super().get_context_data(
            fragment=fragment,
            comments=comments,
            comments_html=comments_html,
            comment_count=fragment.comment_count,
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
