from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person with an account: a custom model from the start, email required and unique."""

    email = models.EmailField(_("email address"), unique=True)
    receives_digest = models.BooleanField(
        _("receives the weekly digest"),
        default=False,
        help_text=_("Send this user the weekly email of new posts."),
    )

    REQUIRED_FIELDS = ["email"]
