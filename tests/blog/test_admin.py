"""The admin for staff: posts (search, filters, tags), comments, tags and users."""

import pytest
from django.utils import timezone

from blog.models import Post, User
from tests.factories import CommentFactory, PostFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_post_list_searches_titles_and_text(staff_client):
    PostFactory(title="Needle in title")
    PostFactory(title="Other", text="a needle in the text")
    PostFactory(title="Unrelated", text="nothing")

    response = staff_client.get("/admin/blog/post/", {"q": "needle"})

    assert response.status_code == 200
    assert sorted(p.title for p in response.context["cl"].result_list) == [
        "Needle in title",
        "Other",
    ]


def test_post_list_filters_by_tag_and_date(staff_client):
    tag = TagFactory(title="Filtered")
    PostFactory(title="Tagged", tags=[tag])
    PostFactory(title="Plain")

    by_tag = staff_client.get("/admin/blog/post/", {"tags__id__exact": tag.pk})
    year = timezone.now().year
    by_date = staff_client.get("/admin/blog/post/", {"publish_date__year": year})

    assert [p.title for p in by_tag.context["cl"].result_list] == ["Tagged"]
    assert len(by_date.context["cl"].result_list) == 2
    assert (
        staff_client.get("/admin/blog/post/", {"publish_date__year": year - 5})
        .context["cl"]
        .result_count
        == 0
    )
    assert "By publish date" in by_date.content.decode()


def test_post_list_queries_do_not_grow_with_posts(staff_client, django_assert_max_num_queries):
    for _ in range(30):
        CommentFactory(post=PostFactory(tags=[TagFactory(), TagFactory()]))

    with django_assert_max_num_queries(15):
        response = staff_client.get("/admin/blog/post/")

    assert response.status_code == 200


def test_adding_a_post_in_the_admin_renders_and_tags_it(staff_client):
    author = UserFactory(roles=["default", "poster"])
    tag = TagFactory(title="From admin")

    response = staff_client.post(
        "/admin/blog/post/add/",
        {
            "title": "Admin post",
            "author": author.pk,
            "publish_date_0": "2026-01-01",
            "publish_date_1": "10:00:00",
            "text": "Hi <script>x</script> *there*",
            "tags": [tag.pk],
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get()
    assert post.slug == "admin-post"
    assert "<em>there</em>" in post.html and "<script" not in post.html
    assert list(post.tags.all()) == [tag]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/blog/comment/",
        "/admin/blog/tag/",
        "/admin/blog/user/",
        "/admin/blog/user/add/",
        "/admin/blog/post/add/",
    ],
)
def test_admin_pages_open(staff_client, url):
    CommentFactory()

    assert staff_client.get(url).status_code == 200


def test_post_change_page_edits_comments_inline(staff_client):
    comment = CommentFactory(text="inline comment")

    response = staff_client.get(f"/admin/blog/post/{comment.post.pk}/change/")

    assert "inline comment" in response.content.decode()


def test_admin_creates_a_user_with_an_email(staff_client):
    response = staff_client.post(
        "/admin/blog/user/add/",
        {
            "username": "created",
            "email": "created@example.com",
            "password1": "Quite-Long-Password-9",
            "password2": "Quite-Long-Password-9",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="created").email == "created@example.com"


def test_reader_cannot_open_the_admin(client):
    client.force_login(UserFactory())

    response = client.get("/admin/blog/post/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
