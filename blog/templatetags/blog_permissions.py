"""The permission checks of ``blog.permissions`` as template filters.

``{% load blog_permissions %}`` then ``{% if user|can_post %}``,
``{% if user|can_edit_post:post %}``, ``{% if user|can_comment %}``.
"""

from django import template

from blog import permissions

register = template.Library()

register.filter("can_post", permissions.can_post)
register.filter("can_edit_post", permissions.can_edit_post)
register.filter("can_comment", permissions.can_comment)
