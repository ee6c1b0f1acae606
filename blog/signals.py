"""Signal receivers of the blog app (connected in ``BlogConfig.ready``)."""

from django.db import DEFAULT_DB_ALIAS, transaction

from . import search, seo, services
from .cache import content_changed
from .services import roles_ensure


def blog_content_changed(sender, **kwargs) -> None:
    """A post, comment or tag changed: cached list pages are stale once this commits."""
    transaction.on_commit(content_changed)


def user_saved_pages(sender, instance, created, update_fields=None, **kwargs) -> None:
    """A user renamed: their name and link are on their posts and comments, so cached
    pages are stale once this commits. Other saves of a user (a login's ``last_login``,
    their settings) change no page."""
    if created or (update_fields is not None and "username" not in update_fields):
        return
    if instance.username_changed:
        transaction.on_commit(content_changed)
    instance.username_stored()


def user_deleted_pages(sender, instance, **kwargs) -> None:
    """A user deleted: their comments keep the name but lose the link to their page."""
    transaction.on_commit(content_changed)


def image_deleted(sender, instance, **kwargs) -> None:
    """A post image's row is gone (alone or with its post): its files leave storage
    once this commits, never before (a rollback keeps them)."""
    names = instance.file_names
    transaction.on_commit(lambda: services.image_files_delete(names=names))


def ensure_roles_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=None, **kwargs) -> None:
    """After ``migrate`` (and after a flush), the roles exist with their permissions,
    the search index holds no row of a post that is gone and the Sites row names
    ``SITE_URL``'s host."""
    if using != DEFAULT_DB_ALIAS:
        return
    if apps is not None:
        # Not while auth or the blog is migrated back to zero.
        try:
            apps.get_model("auth", "Group")
            apps.get_model("blog", "Post")
        except LookupError:
            return
    roles_ensure()
    search.index_prune()
    seo.site_row_sync()


def user_saved(sender, instance, **kwargs) -> None:
    """An inactive account has no API token left once this commits."""
    if not instance.is_active:
        transaction.on_commit(lambda: services.user_api_tokens_revoke(user=instance))
