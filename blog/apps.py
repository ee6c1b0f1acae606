from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class BlogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        from .models import Comment, Post, Tag, User
        from .signals import blog_content_changed, ensure_roles_after_migrate, user_saved

        # Sent once per app: only for this one, after auth made the blog's permissions.
        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="blog-roles")
        for model in (Post, Comment, Tag):
            for signal in (post_save, post_delete):
                signal.connect(blog_content_changed, sender=model, dispatch_uid=f"blog-{model}")
        post_save.connect(user_saved, sender=User, dispatch_uid="blog-user-tokens")
        m2m_changed.connect(
            blog_content_changed, sender=Post.tags.through, dispatch_uid="blog-tags"
        )
