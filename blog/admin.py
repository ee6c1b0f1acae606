from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q
from django.utils import timezone

from . import permissions, search
from .models import Comment, CommentStatus, Post, PostImage, Tag, User
from .services import comments_moderate, post_delete


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (None, {"fields": ("receives_digest",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )
    list_display = ("username", "email", "is_staff", "receives_digest", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "receives_digest")


class CommentInline(admin.TabularInline):
    """A post's comments, to read: a comment is changed by its author only, and moderated
    in the comment list (``CommentAdmin``), so the rules of ``blog.permissions`` hold."""

    model = Comment
    extra = 0
    fields = ("name", "text", "date", "user", "status", "edited_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PostImageInline(admin.TabularInline):
    """A post's images, read-only: they are uploaded in the post editor, where they are
    checked and resized. Removable by who ``can_manage_post_images``, as on the pages."""

    model = PostImage
    extra = 0
    fields = ("original", "alt", "width", "height", "uploaded_by", "created")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Without a post (the admin asks so when it reads the rows) the post's own
        # page has already been allowed; with one, the post's rule.
        return obj is None or permissions.can_view_post(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and permissions.can_manage_post_images(request.user, obj)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "is_draft", "publish_date", "tag_list", "comment_count")
    list_filter = ("is_draft", "publish_date", "tags")
    search_fields = ("title", "text", "author__username")
    date_hierarchy = "publish_date"
    # Tags are edited in place, in a plain multiple select: the "filter horizontal"
    # widget's help icons carry ARIA attributes a <span> may not have (axe-core).
    raw_id_fields = ("author",)
    readonly_fields = ("slug", "created", "updated")
    fields = (
        "title",
        "slug",
        "author",
        "is_draft",
        "publish_date",
        "text",
        "tags",
        "created",
        "updated",
    )
    inlines = [CommentInline, PostImageInline]
    list_select_related = ("author",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tags")
            # What readers see: held and hidden comments are not counted.
            .annotate(
                num_comments=Count("comments", filter=Q(comments__status=CommentStatus.PUBLISHED))
            )
        )

    def get_inlines(self, request, obj):
        # A new post has no images: they are uploaded in the editor once it exists.
        return [CommentInline] if obj is None else [CommentInline, PostImageInline]

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    # The admin saves the model itself; the search index follows as with the services.
    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        search.post_index(form.instance)

    def delete_model(self, request, obj: Post) -> None:
        post_delete(post=obj)

    def delete_queryset(self, request, queryset) -> None:
        for post in queryset:
            post_delete(post=post)

    @admin.display(description="tags")
    def tag_list(self, post: Post) -> str:
        return ", ".join(tag.title for tag in post.tags.all())

    @admin.display(description="published comments", ordering="num_comments")
    def comment_count(self, post: Post) -> int:
        return post.num_comments


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Comments, with the moderation of the pages as actions: approve, hide, restore
    (for ``blog.permissions.can_moderate_comments``, the ``admin`` role)."""

    list_display = ("name", "post", "date", "status", "edited_at", "short_text")
    list_filter = ("status", "date")
    search_fields = ("name", "text", "post__title")
    date_hierarchy = "date"
    # Only the text is changed here (by its author); the status only by the actions.
    fields = ("post", "user", "name", "date", "status", "edited_at", "text")
    readonly_fields = ("post", "user", "name", "date", "status", "edited_at")
    list_select_related = ("post",)
    actions = ("approve", "hide", "restore")

    # The rules of the pages and the API (blog.permissions): only its author changes or
    # deletes a comment (so no bulk delete); the admin role moderates with the actions.
    # Comments are written on the site, through the rate limits and moderation.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj: Comment | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return permissions.can_edit_comment(request.user, obj)

    def has_delete_permission(self, request, obj: Comment | None = None) -> bool:
        return obj is not None and permissions.can_delete_comment(request.user, obj)

    def has_moderate_permission(self, request) -> bool:
        return permissions.can_moderate_comments(request.user)

    def save_model(self, request, obj: Comment, form, change) -> None:
        if change and "text" in form.changed_data:
            obj.edited_at = timezone.now()
        super().save_model(request, obj, form, change)

    def _moderate(self, request, queryset, action: str, done: str) -> None:
        changed = comments_moderate(comments=queryset, action=action)
        self.message_user(request, f"{changed} comment{'s' if changed != 1 else ''} {done}.")

    @admin.action(description="Approve the selected comments", permissions=["moderate"])
    def approve(self, request, queryset) -> None:
        self._moderate(request, queryset, "approve", "approved")

    @admin.action(description="Hide the selected comments from readers", permissions=["moderate"])
    def hide(self, request, queryset) -> None:
        self._moderate(request, queryset, "hide", "hidden")

    @admin.action(description="Restore the selected hidden comments", permissions=["moderate"])
    def restore(self, request, queryset) -> None:
        self._moderate(request, queryset, "restore", "restored")

    @admin.display(description="text")
    def short_text(self, comment: Comment) -> str:
        return comment.text if len(comment.text) <= 80 else comment.text[:79] + "…"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "post_count")
    search_fields = ("title",)
    prepopulated_fields = {"slug": ("title",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_posts=Count("posts"))

    def save_model(self, request, obj: Tag, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "title" in form.changed_data:
            search.tag_posts_index(obj)  # the posts are found by the new title

    @admin.display(description="posts", ordering="num_posts")
    def post_count(self, tag: Tag) -> int:
        return tag.num_posts
