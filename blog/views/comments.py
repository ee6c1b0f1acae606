"""The blog's pages for comments: posting one from a post's page (with the rate limits
and the honeypot), editing and deleting one's own, and the admin role's hide, restore
and approve. Who may do what is asked of ``blog.permissions``; writes go through
``blog.services``."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from .. import permissions
from ..forms import CommentForm, NewCommentForm, form_add_service_errors
from ..limits import client_ip, comment_rate_take
from ..models import Comment
from ..services import comment_create, comment_delete, comment_moderate, comment_update

logger = logging.getLogger(__name__)

PUBLISHED_MESSAGE = _("Thank you: your comment is published.")
HELD_MESSAGE = _("Thank you: your comment is awaiting moderation. Only you see it until then.")


def too_fast_message(retry_after: int) -> str:
    return _(
        "You are commenting too fast. Your comment is not posted yet: try again in "
        "%(seconds)d seconds."
    ) % {"seconds": retry_after}


class CommentPostMixin:
    """POST on a post's page: a new comment, for the ``PostDetailView``.

    Post/redirect/get. A form error, or a rate limit passed (HTTP 429), shows the page
    again with the text kept; a filled honeypot looks like success and stores nothing.
    """

    def post(self, request, *args, **kwargs):
        self.object = post = self.get_object()
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not permissions.can_comment(request.user) or not post.is_published:
            raise PermissionDenied(_("You may not comment."))
        form = NewCommentForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(comment_form=form))
        done = HttpResponseRedirect(post.get_absolute_url() + "#comments")
        address = client_ip(request)
        if form.is_robot:
            logger.warning(
                "Comment refused: the honeypot was filled (user %s, address %s, post %s).",
                request.user.pk,
                address,
                post.pk,
            )
            messages.success(request, PUBLISHED_MESSAGE)
            return done
        refusal = comment_rate_take(user_id=request.user.pk, address=address)
        if refusal is not None:
            logger.info("Comment refused: rate limit (user %s, %s).", request.user.pk, address)
            form.add_error(None, too_fast_message(refusal.retry_after))
            response = self.render_to_response(self.get_context_data(comment_form=form), status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        try:
            comment = comment_create(post=post, user=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form_add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(comment_form=form))
        messages.success(request, HELD_MESSAGE if comment.is_held else PUBLISHED_MESSAGE)
        return done


def comment_for(request, pk: int) -> Comment:
    """The comment, if this user may see it on a post they may see; else 404."""
    comment = get_object_or_404(Comment.objects.select_related("post", "post__author"), pk=pk)
    user = request.user
    if not permissions.can_view_post(user, comment.post) or not permissions.can_view_comment(
        user, comment
    ):
        raise Http404("No comment found matching the query")
    return comment


class CommentUpdateView(LoginRequiredMixin, FormView):
    """Edit one's own comment (GET the form, POST the new text); others get 403, and a
    comment they cannot see 404."""

    form_class = CommentForm
    template_name = "blog/comment_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.comment = comment_for(request, kwargs["pk"])
        if not permissions.can_edit_comment(request.user, self.comment):
            raise PermissionDenied(_("You may not edit this comment."))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"text": self.comment.text}

    def get_context_data(self, **kwargs):
        return super().get_context_data(comment=self.comment, post=self.comment.post, **kwargs)

    def form_valid(self, form):
        try:
            comment_update(comment=self.comment, text=form.cleaned_data["text"])
        except ValidationError as error:
            form_add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your comment is saved."))
        return HttpResponseRedirect(self.comment.get_absolute_url())


class CommentDeleteView(LoginRequiredMixin, TemplateView):
    """A confirmation page (GET), then the deletion for good (POST), of one's own
    comment; others get 403, and a comment they cannot see 404."""

    template_name = "blog/comment_confirm_delete.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.comment = comment_for(request, kwargs["pk"])
        if not permissions.can_delete_comment(request.user, self.comment):
            raise PermissionDenied(_("You may not delete this comment."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(comment=self.comment, post=self.comment.post, **kwargs)

    def post(self, request, *args, **kwargs):
        post = self.comment.post
        comment_delete(comment=self.comment)
        messages.success(request, _("Your comment is deleted."))
        return HttpResponseRedirect(post.get_absolute_url() + "#comments")


MODERATION = {
    "approve": (permissions.can_approve_comment, _("The comment is published.")),
    "hide": (permissions.can_hide_comment, _("The comment is hidden: only editors see it.")),
    "restore": (permissions.can_restore_comment, _("The comment is shown again.")),
}


class CommentModerateView(LoginRequiredMixin, View):
    """POST ``/comment/<pk>/<approve|hide|restore>/``: the ``admin`` role's moderation.
    Someone else gets 403 (404 for a comment they cannot see)."""

    http_method_names = ["post"]

    def post(self, request, pk: int, action: str):
        comment = comment_for(request, pk)
        allowed, message = MODERATION[action]
        if not allowed(request.user, comment):
            raise PermissionDenied(_("You may not do this to this comment."))
        comment_moderate(comment=comment, action=action)
        messages.success(request, message)
        return HttpResponseRedirect(comment.get_absolute_url())
