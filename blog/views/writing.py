"""The blog's pages for writers: the editor, deleting a post, "My posts", the preview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from .. import images, permissions
from ..forms import PostForm, form_add_service_errors
from ..models import POST_TEXT_MAX_LENGTH, Post, PostImage
from ..rendering import RenderRefused, render_markdown
from ..selectors import posts_of_author
from ..services import (
    post_create,
    post_delete,
    post_image_add,
    post_image_remove,
    post_update,
)


# WRITING
# ------------------------------------------------------------------------------
class ImageUploadMixin:
    """Bounds an image upload while it arrives (``images.ImageUploadLimitHandler``).

    The handler must be in place before the body is read, and the CSRF middleware reads
    it: so the middleware skips these views and CSRF is checked here, right after, as
    Django's docs on upload handlers do."""

    @classmethod
    def as_view(cls, **initkwargs):
        return csrf_exempt(super().as_view(**initkwargs))

    def dispatch(self, request, *args, **kwargs):
        request.upload_handlers.insert(0, images.ImageUploadLimitHandler(request))
        return csrf_protect(super().dispatch)(request, *args, **kwargs)


class PostFormMixin(ImageUploadMixin):
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

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["oversized_uploads"] = frozenset(getattr(self.request, "oversized_uploads", ()))
        return kwargs

    def get_context_data(self, **kwargs):
        if getattr(self, "object", None) is not None:
            kwargs.setdefault("post_images", self.object.images.all())
        return super().get_context_data(**kwargs)

    def save_with_image(self, form) -> Post:
        """The post, then the form's image (prepared by the form) if any, in one
        transaction: a refused one saves nothing."""
        with transaction.atomic():
            post = self.save(form)
            if form.cleaned_data.get("image"):
                if not permissions.can_manage_post_images(self.request.user, post):
                    raise PermissionDenied(_("You may not change this post's images."))
                try:
                    post_image_add(
                        post=post,
                        prepared=form.cleaned_data["image"],
                        alt=form.cleaned_data["image_alt"],
                        uploaded_by=self.request.user,
                    )
                except ValidationError as error:
                    raise ValidationError({"image_alt": error.messages}) from error
        return post

    def form_valid(self, form):
        try:
            self.object = self.save_with_image(form)
        except ValidationError as error:
            if getattr(self, "object", None) is not None:
                self.object.refresh_from_db()  # the rolled-back save's values
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
    """Anonymous visitors go to the login page; users who may not post get a 403 that
    says what the poster role is and how one gets it."""

    success_message = _("Your post is saved.")
    permission_denied_message = _(
        "Writing posts takes the poster role. Every new account may read and comment; "
        "the site's administrators give the poster role to writers (in the admin: Users, "
        "the account, Groups; or with manage.py grant_poster). Ask one of them if you "
        "would like to write here."
    )

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


class PostImageDeleteView(LoginRequiredMixin, View):
    """POST: remove one image of a post, for who ``can_manage_post_images`` (a post one
    cannot see is a 404, one one may not change a 403); back to the editor."""

    http_method_names = ["post"]

    def post(self, request, slug: str, pk: int):
        post = get_object_or_404(Post.objects.select_related("author"), slug=slug)
        if not permissions.can_view_post(request.user, post):
            raise Http404("No post found matching the query")
        if not permissions.can_manage_post_images(request.user, post):
            raise PermissionDenied(_("You may not change this post's images."))
        image = get_object_or_404(PostImage, post=post, pk=pk)
        post_image_remove(image=image)
        messages.success(request, _("The image is removed."))
        return HttpResponseRedirect(reverse("blog:post_update", kwargs={"slug": post.slug}))


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
    like every POST; text over the post's limit or the rendering budget is a 400."""
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
    try:
        html = render_markdown(text)
    except RenderRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    return JsonResponse({"html": html})
