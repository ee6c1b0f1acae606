"""The blog's pages: thin generic views over the QuerySets, forms and services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from . import permissions
from .cache import page_cache_key
from .forms import AccountSettingsForm, CommentForm, PostForm, SearchForm
from .models import POST_TEXT_MAX_LENGTH, Post, Tag, User
from .rendering import render_markdown
from .selectors import posts_listed, posts_matching, posts_of_author, sidebar
from .services import comment_create, post_create, post_delete, post_update

POSTS_PER_PAGE = 10


def form_add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


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
class PostDetailView(AnonymousPageCacheMixin, DetailView):
    """A post, its tags and comments, and the comment form (post/redirect/get).

    A post not yet published is shown only to those who may edit it.
    """

    template_name = "blog/post_detail.html"
    context_object_name = "post"

    def get_queryset(self):
        return Post.objects.select_related("author").prefetch_related("tags")

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not permissions.can_view_post(self.request.user, post):
            raise Http404("No post found matching the query")
        return post

    def get_context_data(self, **kwargs):
        kwargs.setdefault("comment_form", CommentForm())
        return super().get_context_data(
            comments=self.object.comments.select_related("user"), **kwargs
        )

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_comment(request.user) or not self.object.is_published:
            raise PermissionDenied(_("You may not comment."))
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment_create(post=self.object, user=request.user, text=form.cleaned_data["text"])
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Thank you: your comment is published."))
                return HttpResponseRedirect(self.object.get_absolute_url() + "#comments")
        return self.render_to_response(self.get_context_data(comment_form=form))


# WRITING
# ------------------------------------------------------------------------------
class PostFormMixin:
    """Save through the services; their ValidationErrors become field errors."""

    form_class = PostForm
    template_name = "blog/post_form.html"
    draft_message = _("Your draft is saved: only you and the editors see it.")
    was_draft = False

    def save(self, form) -> Post:
        raise NotImplementedError

    @property
    def as_draft(self) -> bool:
        """The "Save as draft" button rather than "Publish" / "Save changes"."""
        return self.request.POST.get("action") == "draft"

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as error:
            form_add_service_errors(form, error)
            return self.form_invalid(form)
        if self.object.is_draft:
            message = self.draft_message
        elif self.was_draft:
            message = _("Your post is published.")
        else:
            message = self.success_message
        messages.success(self.request, message)
        return HttpResponseRedirect(self.object.get_absolute_url())


class PostCreateView(LoginRequiredMixin, UserPassesTestMixin, PostFormMixin, CreateView):
    """Anonymous visitors go to the login page; users who may not post get a 403."""

    success_message = _("Your post is saved.")

    def test_func(self) -> bool:
        return permissions.can_post(self.request.user)

    def save(self, form) -> Post:
        return post_create(
            author=self.request.user,
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            tags=form.cleaned_data["tags"],
            publish_date=form.cleaned_data["publish_date"],
            draft=self.as_draft,
        )


class PostUpdateView(LoginRequiredMixin, UserPassesTestMixin, PostFormMixin, UpdateView):
    """The author (while a poster) or an editor; others get a 403."""

    success_message = _("Your changes are saved.")

    def get_queryset(self):
        return Post.objects.select_related("author")

    def test_func(self) -> bool:
        self.object = self.get_object()
        return permissions.can_edit_post(self.request.user, self.object)

    def get_object(self, queryset=None):
        if getattr(self, "object", None) is None:
            self.object = super().get_object(queryset)
        return self.object

    def save(self, form) -> Post:
        # The form's is_valid() has already set the new values on the instance; the
        # service validates them again and saves.
        self.object.refresh_from_db()
        self.was_draft = self.object.is_draft
        return post_update(
            post=self.object,
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            tags=form.cleaned_data["tags"],
            publish_date=form.cleaned_data["publish_date"],
            draft=self.as_draft,
        )


class PostDeleteView(LoginRequiredMixin, DetailView):
    """A confirmation page (GET), then the deletion (POST), for who ``can_delete_post``:
    a post they may not see is a 404, one they may see but not delete a 403."""

    template_name = "blog/post_confirm_delete.html"
    context_object_name = "post"

    def get_queryset(self):
        return Post.objects.select_related("author")

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not permissions.can_view_post(self.request.user, post):
            raise Http404("No post found matching the query")
        if not permissions.can_delete_post(self.request.user, post):
            raise PermissionDenied(_("You may not delete this post."))
        return post

    def post(self, request, *args, **kwargs):
        post = self.get_object()
        title = post.title
        post_delete(post=post)
        messages.success(request, _("“%s” is deleted.") % title)
        return HttpResponseRedirect(reverse("blog:my_posts"))


# A WRITER'S OWN PAGE AND THE EDITOR'S PREVIEW
# ------------------------------------------------------------------------------
class MyPostsView(LoginRequiredMixin, ListView):
    """The signed-in user's posts, drafts and scheduled ones too, with their state.
    Personal, so never in the anonymous page cache (signed-in users never are)."""

    template_name = "blog/my_posts.html"
    context_object_name = "posts"
    paginate_by = 20

    def get_queryset(self):
        return posts_of_author(self.request.user)


def markdown_preview(request):
    """POST ``text``: the Markdown rendered by the renderer posts are saved with
    (``blog.rendering``), as JSON ``{"html": ...}``. For whoever may post; CSRF-protected
    like every POST; text over the post's limit is a 400."""
    if request.method != "POST":
        response = JsonResponse({"error": "POST the text to preview."}, status=405)
        response["Allow"] = "POST"
        return response
    if not permissions.can_preview_markdown(request.user):
        return JsonResponse({"error": "Only writers may preview."}, status=403)
    text = request.POST.get("text", "")
    if len(text) > POST_TEXT_MAX_LENGTH:
        return JsonResponse(
            {"error": f"A post has at most {POST_TEXT_MAX_LENGTH} characters."}, status=400
        )
    return JsonResponse({"html": render_markdown(text)})


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
