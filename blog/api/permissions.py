"""DRF permission classes that ask ``blog.permissions``: the rules the pages use."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from blog.permissions import (
    can_approve_comment,
    can_comment,
    can_delete_comment,
    can_delete_post,
    can_edit_comment,
    can_edit_post,
    can_hide_comment,
    can_post,
    can_restore_comment,
)


class PostPermission(BasePermission):
    """Anyone reads; creating needs ``can_post``; changing ``can_edit_post``; deleting
    ``can_delete_post`` (what the page's delete button asks).

    An anonymous write fails ``has_permission``, which DRF answers with 401, not 403.
    """

    anonymous_reads = True  # for the OpenAPI schema (config.api.AutoSchema)

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if view.action == "create":
            return can_post(request.user)
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_delete_post(request.user, obj)
        return can_edit_post(request.user, obj)


class CommentPermission(BasePermission):
    """Anyone reads the comments of a published post; adding one needs ``can_comment``."""

    anonymous_reads = True

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_comment(request.user)


class CommentObjectPermission(BasePermission):
    """One comment: anyone reads one they may see (``blog.permissions.can_view_comment``,
    asked by the view's ``get_object``, which answers 404 otherwise); its author changes
    (``can_edit_comment``) or deletes it (``can_delete_comment``); the ``admin`` role
    approves, hides and restores any (``can_approve_comment``, ...)."""

    anonymous_reads = True

    ACTIONS = {
        "partial_update": can_edit_comment,
        "destroy": can_delete_comment,
        "approve": can_approve_comment,
        "hide": can_hide_comment,
        "restore": can_restore_comment,
    }

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        check = self.ACTIONS.get(view.action)
        return check is not None and check(request.user, obj)
