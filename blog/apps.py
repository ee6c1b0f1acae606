from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class BlogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .models import Comment, Post, PostImage, Tag, User
        from .signals import (
            blog_content_changed,
            ensure_roles_after_migrate,
            image_deleted,
            user_deleted_pages,
            user_saved,
            user_saved_pages,
        )

        # Sent once per app: only for this one, after auth made the blog's permissions.
        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="blog-roles")
        post_delete.connect(image_deleted, sender=PostImage, dispatch_uid="blog-image-files")
        for model in (Post, Comment, Tag, PostImage):
            for signal in (post_save, post_delete):
                signal.connect(blog_content_changed, sender=model, dispatch_uid=f"blog-{model}")
        post_save.connect(user_saved, sender=User, dispatch_uid="blog-user-tokens")
        # A renamed or deleted user's name and link leave the cached pages.
        post_save.connect(user_saved_pages, sender=User, dispatch_uid="blog-user-pages")
        post_delete.connect(user_deleted_pages, sender=User, dispatch_uid="blog-user-gone")
        m2m_changed.connect(
            blog_content_changed, sender=Post.tags.through, dispatch_uid="blog-tags"
        )
