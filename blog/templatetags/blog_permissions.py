"""The permission checks of ``blog.permissions`` as template filters.

``{% load blog_permissions %}`` then ``{% if user|can_post %}``,
``{% if user|can_edit_post:post %}``, ``{% if user|can_comment %}``, and the same for
``can_view_post``, ``can_delete_post`` and ``can_manage_own_posts``; for comments
``{% if user|can_edit_comment:comment %}`` and the other comment checks.
"""

from django import template

from blog import permissions

register = template.Library()

register.filter("can_post", permissions.can_post)
register.filter("can_edit_post", permissions.can_edit_post)
register.filter("can_comment", permissions.can_comment)
register.filter("can_view_post", permissions.can_view_post)
register.filter("can_delete_post", permissions.can_delete_post)
register.filter("can_manage_own_posts", permissions.can_manage_own_posts)
register.filter("can_moderate_comments", permissions.can_moderate_comments)
register.filter("can_edit_comment", permissions.can_edit_comment)
register.filter("can_delete_comment", permissions.can_delete_comment)
register.filter("can_hide_comment", permissions.can_hide_comment)
register.filter("can_restore_comment", permissions.can_restore_comment)
register.filter("can_approve_comment", permissions.can_approve_comment)
