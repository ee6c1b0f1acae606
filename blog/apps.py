from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BlogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        from .signals import ensure_roles_after_migrate

        # Sent once per app: only for this one, after auth made the blog's permissions.
        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="blog-roles")
