"""Images in posts through the pages: the editor's upload, the post page, who may add
and remove them, storage, and the query counts of a post page with images."""

from __future__ import annotations

import io
import json
import os
import re
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.core.management import call_command
from django.test import Client

from blog.images import ImageUploadLimitHandler, image_prepare
from blog.models import Post, PostImage
from blog.services import post_delete, post_image_add
from tests.factories import PostFactory, UserFactory
from tests.support.images import (
    HTML_AS_PNG,
    SVG,
    TEXT,
    gps_exif,
    image_bytes,
    noise_bytes,
    png_claiming,
)

pytestmark = pytest.mark.django_db

FORM = {"title": "With a picture", "text": "Look below.", "tags": "", "publish_date": ""}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test's files in a folder of its own: what is stored, and what is left."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root) -> set[str]:
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


def add_image(post, alt="A red square", size=(1200, 600)) -> PostImage:
    return post_image_add(
        post=post,
        prepared=image_prepare(image_bytes("JPEG", size)),
        alt=alt,
        uploaded_by=post.author,
    )


# UPLOADING IN THE EDITOR
# ------------------------------------------------------------------------------
def test_a_poster_writes_a_draft_with_an_image(author, media_root) -> None:
    client = client_for(author)
    data = image_bytes("JPEG", (2000, 1000), exif=gps_exif())

    response = client.post(
        "/post/new/",
        {**FORM, "action": "draft", "image": upload(data, "../../etc/My holiday.html.jpg"),
         "image_alt": "  A beach at noon  "},
    )  # fmt: skip

    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    image = post.images.get()
    assert image.alt == "A beach at noon"
    assert image.uploaded_by == author
    assert (image.width, image.height) == (2000, 1000)
    assert [(r["width"], r["height"]) for r in image.renditions] == [
        (480, 240),
        (960, 480),
        (1600, 800),
    ]
    # Generated names only, never the uploader's; every one of them stored.
    assert re.fullmatch(r"images/[0-9a-f]{32}\.jpg", image.original.name)
    assert all(re.fullmatch(r"images/[0-9a-f]{32}-\d+\.webp", n) for n in image.file_names[1:])
    assert stored_files(media_root) == set(image.file_names)
    for name in image.file_names:
        with storages["default"].open(name) as stored:
            assert b"Exif" not in stored.read()


def test_the_post_page_shows_the_image_with_srcset_width_height_and_lazy(author) -> None:
    post = PostFactory(author=author, is_draft=True)
    image = add_image(post, alt='A "quoted" <square>', size=(2000, 1000))

    html = client_for(author).get(post.get_absolute_url()).content.decode()

    tag = re.search(r"<img [^>]*srcset[^>]*>", html).group(0)
    names = [r["name"] for r in image.renditions]
    assert f'src="/media/{names[-1]}"' in tag
    assert (
        f'srcset="/media/{names[0]} 480w, /media/{names[1]} 960w, /media/{names[2]} 1600w"' in tag
    )
    assert 'width="1600"' in tag and 'height="800"' in tag
    assert 'loading="lazy"' in tag
    assert 'alt="A &quot;quoted&quot; &lt;square&gt;"' in tag


def test_the_editor_lists_the_posts_images_with_a_remove_button(author) -> None:
    post = PostFactory(author=author)
    image = add_image(post, alt="The first one")

    html = client_for(author).get(f"/post/{post.slug}/edit/").content.decode()

    assert 'enctype="multipart/form-data"' in html
    assert "The first one" in html
    assert f'action="/post/{post.slug}/images/{image.pk}/delete/"' in html


def test_an_image_is_added_when_editing(author) -> None:
    post = PostFactory(author=author, title="Old")
    add_image(post, alt="First")

    png = upload(image_bytes("PNG", (500, 400)), "b.png", "image/png")
    response = client_for(author).post(
        f"/post/{post.slug}/edit/",
        {**FORM, "title": "New", "action": "publish", "image": png, "image_alt": "Second"},
    )

    assert response.status_code == 302
    assert [i.alt for i in post.images.all()] == ["First", "Second"]
    assert post.images.last().original.name.endswith(".png")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "drawing.svg", "not a JPEG, PNG, WebP or GIF"),
        (TEXT, "photo.png", "not a JPEG, PNG, WebP or GIF"),
        (HTML_AS_PNG, "page.png", "not a JPEG, PNG, WebP or GIF"),
        (png_claiming(20_000, 20_000), "bomb.png", "more than 40 megapixels"),
    ],
)
def test_a_refused_upload_is_a_form_error_and_saves_nothing(
    author, media_root, data, name, message
) -> None:
    response = client_for(author).post(
        "/post/new/", {**FORM, "image": upload(data, name, "image/png"), "image_alt": "Something"}
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["image"])
    assert not Post.objects.exists()
    assert stored_files(media_root) == set()


def test_an_image_without_alt_text_is_a_form_error(author, media_root) -> None:
    response = client_for(author).post(
        "/post/new/", {**FORM, "image": upload(image_bytes()), "image_alt": "   "}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["image_alt"] == ["Describe the image."]
    assert not Post.objects.exists()
    assert stored_files(media_root) == set()


def test_alt_text_without_an_image_is_a_form_error(author) -> None:
    response = client_for(author).post("/post/new/", {**FORM, "image_alt": "A cat"})

    assert response.context["form"].errors["image"] == ["Choose the image."]
    assert not Post.objects.exists()


def test_an_oversized_upload_is_a_form_error(author, media_root, settings) -> None:
    data = noise_bytes("PNG", (300, 300))
    settings.BLOG_IMAGE_MAX_BYTES = 20_000
    assert len(data) > 5 * settings.BLOG_IMAGE_MAX_BYTES

    response = client_for(author).post(
        "/post/new/", {**FORM, "image": upload(data, "big.png"), "image_alt": "Big"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["image"] == ["The image is larger than 0.02 MB."]
    assert not Post.objects.exists()
    assert stored_files(media_root) == set()


def test_the_upload_handler_stops_reading_a_file_past_the_limit(rf, settings) -> None:
    settings.BLOG_IMAGE_MAX_BYTES = 100_000
    request = rf.post("/post/new/")
    handler = ImageUploadLimitHandler(request)
    handler.new_file("image", "big.png", "image/png", 300_000)

    assert handler.receive_data_chunk(b"x" * 65_536, 0) == b"x" * 65_536
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x" * 65_536, 65_536)

    assert request.oversized_uploads == {"image"}


def test_the_editor_still_checks_csrf(author) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)

    response = client.post(
        "/post/new/", {**FORM, "image": upload(image_bytes()), "image_alt": "A square"}
    )

    assert response.status_code == 403
    assert not Post.objects.exists()


# WHO MAY ADD AND REMOVE
# ------------------------------------------------------------------------------
def test_someone_elses_post_gets_no_image(author, other_poster, media_root) -> None:
    post = PostFactory(author=author)

    response = client_for(other_poster).post(
        f"/post/{post.slug}/edit/",
        {**FORM, "image": upload(image_bytes()), "image_alt": "Mine now"},
    )

    assert response.status_code == 403
    assert not PostImage.objects.exists()
    assert stored_files(media_root) == set()


def test_someone_elses_image_is_not_removed(author, other_poster) -> None:
    post = PostFactory(author=author)
    image = add_image(post)

    response = client_for(other_poster).post(f"/post/{post.slug}/images/{image.pk}/delete/")

    assert response.status_code == 403
    assert PostImage.objects.filter(pk=image.pk).exists()


def test_a_drafts_image_is_a_404_for_others(author, other_poster) -> None:
    post = PostFactory(author=author, is_draft=True)
    image = add_image(post)

    response = client_for(other_poster).post(f"/post/{post.slug}/images/{image.pk}/delete/")

    assert response.status_code == 404
    assert PostImage.objects.filter(pk=image.pk).exists()


def test_an_image_of_another_post_is_a_404(author) -> None:
    post, other = PostFactory(author=author), PostFactory(author=author)
    image = add_image(other)

    response = client_for(author).post(f"/post/{post.slug}/images/{image.pk}/delete/")

    assert response.status_code == 404
    assert PostImage.objects.filter(pk=image.pk).exists()


@pytest.mark.parametrize("remover", ["author", "editor"])
def test_the_author_or_an_editor_removes_an_image_and_its_files(
    request, remover, author, media_root, django_capture_on_commit_callbacks
) -> None:
    post = PostFactory(author=author)
    kept, removed = add_image(post, alt="Kept"), add_image(post, alt="Removed")
    client = client_for(request.getfixturevalue(remover))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/post/{post.slug}/images/{removed.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/post/{post.slug}/edit/"
    assert list(post.images.all()) == [kept]
    assert stored_files(media_root) == set(kept.file_names)


def test_removing_is_post_only(author) -> None:
    post = PostFactory(author=author)
    image = add_image(post)

    response = client_for(author).get(f"/post/{post.slug}/images/{image.pk}/delete/")

    assert response.status_code == 405
    assert PostImage.objects.filter(pk=image.pk).exists()


def test_an_anonymous_visitor_is_sent_to_log_in(author) -> None:
    post = PostFactory(author=author)
    image = add_image(post)

    response = Client().post(f"/post/{post.slug}/images/{image.pk}/delete/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert PostImage.objects.filter(pk=image.pk).exists()


# STORAGE
# ------------------------------------------------------------------------------
def test_deleting_a_post_removes_its_image_files_once_committed(
    author, media_root, django_capture_on_commit_callbacks
) -> None:
    post = PostFactory(author=author)
    add_image(post)
    add_image(post)
    other = add_image(PostFactory(author=author))
    assert len(stored_files(media_root)) == 3 * 4  # the original and 480, 960, 1200 wide

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_delete(post=post)
    assert len(stored_files(media_root)) == 12  # nothing gone before the commit
    for callback in callbacks:
        callback()

    assert stored_files(media_root) == set(other.file_names)
    assert not PostImage.objects.filter(post_id=post.pk).exists()


def test_a_failed_save_leaves_no_file(author, media_root, monkeypatch) -> None:
    post = PostFactory(author=author)

    def refuse(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(PostImage, "save", refuse)
    with pytest.raises(RuntimeError):
        add_image(post)

    assert stored_files(media_root) == set()


# QUERIES
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 6])
def test_a_post_page_with_images_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, author, count
) -> None:
    post = PostFactory(author=author)
    for n in range(count):
        add_image(post, alt=f"Image {n}", size=(500, 300))

    # The post and its author, its tags, its images (one query, whatever their
    # number: no N+1 over the images), its comments with their users.
    with django_assert_num_queries(4):
        response = client.get(post.get_absolute_url())

    assert response.content.decode().count('loading="lazy"') == count


def test_lists_show_no_image(client, author) -> None:
    post = PostFactory(author=author)
    add_image(post)

    response = client.get("/")

    assert post.title in response.content.decode()
    assert "/media/images/" not in response.content.decode()


# THE ADMIN
# ------------------------------------------------------------------------------
def test_the_admin_lists_a_posts_images_read_only_and_removable_by_an_editor(author) -> None:
    post = PostFactory(author=author)
    add_image(post, alt="Seen in the admin")
    staff_editor = UserFactory(roles=["default", "admin"], is_staff=True)

    html = client_for(staff_editor).get(f"/admin/blog/post/{post.pk}/change/").content.decode()

    assert "Seen in the admin" in html
    assert 'name="images-0-DELETE"' in html
    assert 'name="images-0-alt"' not in html  # read-only: uploaded in the editor only
    assert 'name="images-TOTAL_FORMS"' in html
    add_page = client_for(staff_editor).get("/admin/blog/post/add/").content.decode()
    assert "images-TOTAL_FORMS" not in add_page  # a new post has no image yet


@pytest.mark.parametrize("pk", ["0", "99999999999999999999999999"])
def test_an_image_id_out_of_range_is_a_404(author, pk) -> None:
    post = PostFactory(author=author)

    response = client_for(author).post(f"/post/{post.slug}/images/{pk}/delete/")

    assert response.status_code == 404


def test_a_cached_post_page_shows_an_image_once_it_is_added(
    client, author, settings, django_capture_on_commit_callbacks
) -> None:
    settings.BLOG_PAGE_CACHE_SECONDS = 60
    post = PostFactory(author=author)
    assert 'loading="lazy"' not in client.get(post.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        add_image(post, alt="Fresh")

    assert 'alt="Fresh"' in client.get(post.get_absolute_url()).content.decode()


def test_prune_image_files_removes_only_old_files_no_image_names(author, media_root) -> None:
    kept = add_image(PostFactory(author=author))
    storage = storages["default"]
    orphan = storage.save("images/" + "a" * 32 + ".jpg", ContentFile(b"left by a rollback"))
    young = storage.save("images/" + "b" * 32 + ".jpg", ContentFile(b"still committing"))
    hour_ago = time.time() - 3700
    for name in [orphan, *kept.file_names]:
        os.utime(media_root / name, (hour_ago, hour_ago))
    out = io.StringIO()

    call_command("prune_image_files", stdout=out)

    assert out.getvalue() == "Removed 1 file.\n"
    assert stored_files(media_root) == {*kept.file_names, young}
    call_command("prune_image_files", "--older-than", "0", stdout=out)
    assert stored_files(media_root) == set(kept.file_names)


def test_the_editor_asks_can_manage_post_images_before_adding_one(
    author, media_root, monkeypatch
) -> None:
    # The one rule is in blog/permissions.py: were it stricter than editing, the editor
    # would still save nothing of a refused upload.
    post = PostFactory(author=author, title="Unchanged")
    monkeypatch.setattr("blog.permissions.can_manage_post_images", lambda user, post: False)

    response = client_for(author).post(
        f"/post/{post.slug}/edit/",
        {**FORM, "title": "Changed", "image": upload(image_bytes()), "image_alt": "No"},
    )

    assert response.status_code == 403
    post.refresh_from_db()
    assert post.title == "Unchanged"
    assert not post.images.exists()
    assert stored_files(media_root) == set()


# LINK PREVIEWS
# ------------------------------------------------------------------------------
def test_a_posts_first_image_is_its_link_preview(client, author, settings) -> None:
    settings.SITE_URL = "https://blog.example.org"
    post = PostFactory(author=author, title="With pictures")
    first = add_image(post, alt="The first one")
    add_image(post, alt="The second one")

    html = client.get(post.get_absolute_url()).content.decode()

    src = f"https://blog.example.org{first.src}"
    assert f'<meta property="og:image" content="{src}">' in html
    assert f'<meta property="og:image:width" content="{first.display_width}">' in html
    assert '<meta property="og:image:alt" content="The first one">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    )
    assert data["image"] == src


def test_a_post_without_images_has_a_plain_card(client, author) -> None:
    post = PostFactory(author=author)

    html = client.get(post.get_absolute_url()).content.decode()

    assert "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html
