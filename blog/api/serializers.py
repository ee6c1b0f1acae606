"""What the blog's API reads and writes. Output and input are separate serializers:
output carries what the server made (slug, HTML, links); input only what a client
may set, checked with the limits the models and forms use."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework import serializers

from blog.models import (
    COMMENT_TEXT_MAX_LENGTH,
    POST_TEXT_MAX_LENGTH,
    POST_TITLE_MAX_LENGTH,
    TAG_TITLE_MAX_LENGTH,
    Comment,
    CommentStatus,
    Post,
    PostImage,
    PostState,
    Tag,
)
from blog.services import MAX_TAGS_PER_POST
from blog.validators import no_control_characters, publish_date_in_range
from config.api import DateTimeField, StrictCharField


def no_comma(value: str) -> None:
    # The web form separates tags with commas, so a comma can never be part of a title.
    if "," in value:
        raise serializers.ValidationError("A tag title cannot contain a comma.")


# POSTS
# ------------------------------------------------------------------------------
class PostSerializer(serializers.ModelSerializer):
    """A post as the page shows it: ``html`` is the stored, sanitized rendering."""

    # Plain strings in the schema: a slug keeps unicode letters, which the SlugField
    # pattern (ASCII \w in JSON Schema) would call invalid.
    slug = serializers.CharField(
        read_only=True, help_text="Made from the title, unicode kept; never changes."
    )
    author = serializers.CharField(source="author.username", read_only=True)
    tags = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="title", help_text="Tag titles."
    )
    html = serializers.CharField(
        read_only=True, help_text="The text rendered from Markdown and sanitized."
    )
    url = serializers.HyperlinkedIdentityField(
        view_name="api:blog:post-detail", lookup_field="slug", help_text="This post in the API."
    )
    page_url = serializers.SerializerMethodField(help_text="This post's web page.")
    comment_count = serializers.IntegerField(read_only=True)
    state = serializers.ChoiceField(
        choices=PostState.choices,
        read_only=True,
        help_text="`draft` (only its author and editors see it), `scheduled` (its publish "
        "date is still to come) or `published`.",
    )

    class Meta:
        model = Post
        fields = [
            "slug",
            "title",
            "text",
            "html",
            "author",
            "tags",
            "publish_date",
            "state",
            "comment_count",
            "url",
            "page_url",
        ]
        read_only_fields = fields

    def get_page_url(self, post: Post) -> str:
        return self.context["request"].build_absolute_uri(post.get_absolute_url())


class PostImageRenditionSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField(help_text="The WebP file, without metadata.")
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)

    def get_url(self, rendition: dict) -> str:
        storage = PostImage._meta.get_field("original").storage
        return self.context["request"].build_absolute_uri(storage.url(rendition["name"]))


class PostImageSerializer(serializers.ModelSerializer):
    """An image of a post, as the page shows it under the text (docs/blog.md, "Images")."""

    url = serializers.SerializerMethodField(help_text="The widest rendition.")
    width = serializers.SerializerMethodField(help_text="The widest rendition's width.")
    height = serializers.SerializerMethodField(help_text="The widest rendition's height.")
    renditions = PostImageRenditionSerializer(
        many=True, read_only=True, help_text="Every width, narrowest first (for `srcset`)."
    )

    class Meta:
        model = PostImage
        fields = ["url", "width", "height", "alt", "renditions"]
        read_only_fields = fields

    def get_url(self, image: PostImage) -> str:
        return self.context["request"].build_absolute_uri(image.src)

    def get_width(self, image: PostImage) -> int:
        return image.display_width

    def get_height(self, image: PostImage) -> int:
        return image.display_height


class PostDetailSerializer(PostSerializer):
    """One post, with its images (read-only: they are uploaded in the editor)."""

    images = PostImageSerializer(many=True, read_only=True)

    class Meta(PostSerializer.Meta):
        fields = [*PostSerializer.Meta.fields, "images"]
        read_only_fields = fields


class PostInputSerializer(serializers.Serializer):
    """What a client sends to create or change a post."""

    title = StrictCharField(max_length=POST_TITLE_MAX_LENGTH, validators=[no_control_characters])
    text = StrictCharField(
        max_length=POST_TEXT_MAX_LENGTH, validators=[no_control_characters], help_text="Markdown."
    )
    tags = serializers.ListField(
        child=StrictCharField(
            max_length=TAG_TITLE_MAX_LENGTH, validators=[no_comma, no_control_characters]
        ),
        max_length=MAX_TAGS_PER_POST,
        required=False,
        help_text="Tag titles; tags that do not exist yet are created.",
    )
    publish_date = DateTimeField(
        required=False,
        validators=[publish_date_in_range],
        help_text="When the post appears; now when left out.",
    )
    draft = serializers.BooleanField(
        required=False,
        help_text="True keeps the post a draft; false publishes it (at its publish date, or "
        "now when a draft is published without one).",
    )


class PostSearchSerializer(serializers.Serializer):
    """``?search=`` on the post list."""

    search = serializers.CharField(
        allow_blank=True, trim_whitespace=True, help_text="Words of the title, text or tags."
    )

    def validate_search(self, value: str) -> str:
        limit = settings.BLOG_SEARCH_QUERY_MAX_LENGTH
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit} characters.")
        return value


# COMMENTS
# ------------------------------------------------------------------------------
class CommentSerializer(serializers.ModelSerializer):
    user = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The commenter's username; null once their account is deleted.",
    )
    status = serializers.ChoiceField(
        choices=CommentStatus.choices,
        read_only=True,
        help_text="`published`; `held` (awaiting moderation: only its author and editors "
        "see it) or `hidden` (only editors see it).",
    )
    edited_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When its author last edited it; null if never."
    )
    url = serializers.HyperlinkedIdentityField(
        view_name="api:blog:comment-detail", help_text="This comment in the API."
    )

    class Meta:
        model = Comment
        fields = ["id", "name", "text", "date", "edited_at", "status", "user", "url"]
        read_only_fields = fields


class CommentInputSerializer(serializers.Serializer):
    text = StrictCharField(max_length=COMMENT_TEXT_MAX_LENGTH, validators=[no_control_characters])


# TAGS
# ------------------------------------------------------------------------------
class TagSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(read_only=True)
    post_count = serializers.IntegerField(read_only=True, help_text="Published posts.")
    posts_url = serializers.SerializerMethodField(help_text="This tag's posts in the API.")

    class Meta:
        model = Tag
        fields = ["title", "slug", "post_count", "posts_url"]
        read_only_fields = fields

    def get_posts_url(self, tag: Tag) -> str:
        path = reverse("api:blog:post-list") + "?" + urlencode({"tag": tag.slug})
        return self.context["request"].build_absolute_uri(path)
