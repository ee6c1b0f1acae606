from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.validators import deliverable_email

from .rendering import RenderRefused, excerpt_from_html, render_markdown, unique_slug
from .validators import no_control_characters, publish_date_in_range

# Limits shared by the models, the forms and the API.
POST_TITLE_MAX_LENGTH = 200
POST_TEXT_MAX_LENGTH = 100_000
COMMENT_NAME_MAX_LENGTH = 150
COMMENT_TEXT_MAX_LENGTH = 5_000
TAG_TITLE_MAX_LENGTH = 50
# /post/new/ is the page that writes a post, so no post may be called "new".
RESERVED_POST_SLUGS = frozenset({"new"})


class User(AbstractUser):
    """A person with an account: a custom model from the start, email required and unique."""

    email = models.EmailField(_("email address"), unique=True, validators=[deliverable_email])
    receives_digest = models.BooleanField(
        _("receives the weekly digest"),
        default=False,
        help_text=_("Send this user the weekly email of new posts."),
    )
    # Empty: the browser's language. Pages for this user and every email to them are
    # in it (config.middleware.UserLanguageMiddleware, docs/i18n.md).
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language of the site and of the emails for this user."),
    )

    REQUIRED_FIELDS = ["email"]

    def get_absolute_url(self) -> str:
        return reverse("blog:author", kwargs={"username": self.username})

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user.username_stored()
        return user

    def username_stored(self) -> None:
        """The username now is the one in the database (read, or just saved)."""
        self._stored_username = self.__dict__.get("username")

    @property
    def username_changed(self) -> bool:
        """The username differs from the one last read or saved (True if unknown):
        cached pages that show it are then stale (``blog.signals``)."""
        stored = getattr(self, "_stored_username", None)
        return stored is None or self.username != stored


class Tag(models.Model):
    title = models.CharField(
        _("title"),
        max_length=TAG_TITLE_MAX_LENGTH,
        unique=True,
        validators=[no_control_characters],
    )
    slug = models.SlugField(
        _("slug"), max_length=TAG_TITLE_MAX_LENGTH + 10, unique=True, allow_unicode=True
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("blog:tag", kwargs={"slug": self.slug})


class PostState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    PUBLISHED = "published", _("published")


class PostQuerySet(models.QuerySet):
    def published(self) -> "PostQuerySet":
        """Posts that are not drafts and whose publish date has come: what visitors,
        feeds, tag counts, search and the digest see."""
        return self.filter(is_draft=False, publish_date__lte=timezone.now())

    def for_listing(self) -> "PostQuerySet":
        """What a list of posts renders, in a fixed number of queries whatever its length:
        the authors and the tags prefetched (one query each) and the comments counted in
        a subquery (no GROUP BY over the posts' columns), newest first.

        The authors are not joined: with a few authors MariaDB then reads the posts
        through the author index, sorts them all and counts every post's comments before
        keeping ten (50 ms at 10,000 posts); alone, the posts are read backwards along
        the publish_date index and only the page's ten counted (0.3 ms)."""
        comments = (
            Comment.objects.published()
            .filter(post=models.OuterRef("pk"))
            .order_by()
            .values("post")
            .annotate(n=models.Count("*"))
            .values("n")
        )
        return (
            self.prefetch_related("author", "tags")
            .annotate(comment_count=Coalesce(models.Subquery(comments), 0))
            .order_by("-publish_date", "-id")
        )


class Post(models.Model):
    title = models.CharField(
        _("title"), max_length=POST_TITLE_MAX_LENGTH, validators=[no_control_characters]
    )
    # Made once from the title (unicode kept) and never changed, so links stay valid.
    slug = models.SlugField(
        _("slug"),
        max_length=POST_TITLE_MAX_LENGTH + 20,
        unique=True,
        allow_unicode=True,
        blank=True,
    )
    text = models.TextField(
        _("text"),
        help_text=_("Markdown."),
        validators=[MaxLengthValidator(POST_TEXT_MAX_LENGTH), no_control_characters],
    )
    # The Markdown rendered and sanitized once, when the post is saved, so a page
    # view never runs Markdown or the sanitizer.
    html = models.TextField(_("HTML"), editable=False, default="")
    excerpt = models.TextField(_("excerpt"), editable=False, default="")
    publish_date = models.DateTimeField(
        _("publish date"),
        default=timezone.now,
        db_index=True,
        validators=[publish_date_in_range],
    )
    # A draft is seen only by its author and the admin role, whatever its publish date;
    # a post that is not a draft is scheduled until its publish date, then published.
    is_draft = models.BooleanField(
        _("draft"),
        default=False,
        db_index=True,
        help_text=_("Only the author and editors see a draft."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("author"),
    )
    tags = models.ManyToManyField(Tag, related_name="posts", blank=True, verbose_name=_("tags"))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_date", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendered here too (a no-op after full_clean()) so that every way of saving a
        # post (services, the admin, the API, the shell) keeps the stored HTML in step.
        self.render()
        if not self.slug:
            self.slug = unique_slug(Post, self.title, fallback="post", reserved=RESERVED_POST_SLUGS)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("blog:post_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        super().clean()
        # Rendered while validating, so a text over the rendering budget is a field
        # error, and the services render before they open their transaction. A text
        # over the length limit is the field's error and is not rendered.
        if len(self.text) <= POST_TEXT_MAX_LENGTH:
            self.render()

    @classmethod
    def from_db(cls, db, field_names, values):
        post = super().from_db(db, field_names, values)
        post._stored_text = post.__dict__.get("text")
        return post

    def render(self) -> None:
        """Fill ``html`` and ``excerpt`` from ``text`` (the renderer remembers its last
        few texts, so rendering again after ``full_clean()`` costs nothing). A
        ``ValidationError`` on ``text`` when it is over the rendering budget, unless the
        text is the one stored (written before the budget, or past a lowered one): then
        its stored HTML stays, so its other fields can still be changed."""
        try:
            self.html = render_markdown(self.text)
        except RenderRefused as refused:
            if self.pk and self.html and self.text == getattr(self, "_stored_text", None):
                return
            raise ValidationError(
                {"text": ValidationError(str(refused), code=refused.code)}
            ) from refused
        self.excerpt = excerpt_from_html(self.html)

    @property
    def is_published(self) -> bool:
        return not self.is_draft and self.publish_date <= timezone.now()

    @property
    def state(self) -> str:
        """``draft``, ``scheduled`` or ``published``."""
        if self.is_draft:
            return PostState.DRAFT
        return PostState.PUBLISHED if self.is_published else PostState.SCHEDULED

    @property
    def state_label(self) -> str:
        return PostState(self.state).label


class CommentStatus(models.TextChoices):
    """Who sees a comment: ``published`` everyone who sees the post; ``held`` (awaiting
    moderation) its author and the ``admin`` role; ``hidden`` the ``admin`` role only.
    The transitions are in ``blog.services`` (approve, hide, restore)."""

    PUBLISHED = "published", _("published")
    HELD = "held", _("awaiting moderation")
    HIDDEN = "hidden", _("hidden")


class CommentQuerySet(models.QuerySet):
    def published(self) -> "CommentQuerySet":
        """What readers see, and what every comment count counts."""
        return self.filter(status=CommentStatus.PUBLISHED)


class Comment(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="comments", verbose_name=_("post")
    )
    # The name shown; kept when the commenting user is deleted.
    name = models.CharField(_("name"), max_length=COMMENT_NAME_MAX_LENGTH)
    text = models.TextField(
        _("text"),
        max_length=COMMENT_TEXT_MAX_LENGTH,
        validators=[MaxLengthValidator(COMMENT_TEXT_MAX_LENGTH), no_control_characters],
    )
    date = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("user"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommentStatus.choices,
        default=CommentStatus.PUBLISHED,
    )
    # When its author last changed the text; None for a comment never edited.
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            # A post's comments as a reader sees them, and the per-post counts of lists.
            models.Index(fields=["post", "status", "date"], name="blog_comment_post_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.post}"

    def get_absolute_url(self) -> str:
        return self.post.get_absolute_url() + f"#comment-{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED

    @property
    def is_held(self) -> bool:
        return self.status == CommentStatus.HELD

    @property
    def is_hidden(self) -> bool:
        return self.status == CommentStatus.HIDDEN


IMAGE_ALT_MAX_LENGTH = 300


class PostImage(models.Model):
    """An image uploaded to a post (docs/blog.md, "Images"). Its files have generated
    names; ``renditions`` lists the resized WebP copies, narrowest first, as
    ``{"name": ..., "width": ..., "height": ...}``. The files are removed from storage
    once the row's deletion commits (with its post's too)."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="images", verbose_name=_("post")
    )
    # Written again without metadata (no EXIF, GPS), upright; never the uploaded bytes.
    original = models.ImageField(_("original"), max_length=200)
    alt = models.CharField(
        _("alternative text"),
        max_length=IMAGE_ALT_MAX_LENGTH,
        validators=[no_control_characters],
        help_text=_("What the image shows, for readers who cannot see it."),
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    renditions = models.JSONField(_("renditions"), default=list, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("post image")
        verbose_name_plural = _("post images")

    def __str__(self) -> str:
        return self.alt

    @property
    def file_names(self) -> list[str]:
        """Every file of this image in storage."""
        return [self.original.name, *(r["name"] for r in self.renditions)]

    @property
    def src(self) -> str:
        """The URL of the widest rendition (the ``src`` of its ``<img>``)."""
        return self.original.storage.url(self.renditions[-1]["name"])

    @property
    def srcset(self) -> str:
        storage = self.original.storage
        return ", ".join(f"{storage.url(r['name'])} {r['width']}w" for r in self.renditions)

    @property
    def display_width(self) -> int:
        return self.renditions[-1]["width"]

    @property
    def display_height(self) -> int:
        return self.renditions[-1]["height"]
