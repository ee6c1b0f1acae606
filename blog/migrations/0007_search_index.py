"""The search table of ``blog.search.backends``, per database vendor, filled from the
posts already there (``docs/blog.md``, "Search")."""

from django.db import migrations


def create_index(apps, schema_editor):
    from blog.search.backends import Document, backend
    from blog.search.text import plain_text

    engine = backend()
    Post = apps.get_model("blog", "Post")
    with schema_editor.connection.cursor() as cursor:
        engine.create(cursor)
        posts = Post.objects.order_by("pk").prefetch_related("tags")
        last = 0
        while chunk := list(posts.filter(pk__gt=last)[:200]):
            engine.insert(
                cursor,
                [
                    Document(
                        post_id=post.pk,
                        title=post.title,
                        body=plain_text(post.html),
                        tags=" ".join(tag.title for tag in post.tags.all()),
                    )
                    for post in chunk
                ],
            )
            last = chunk[-1].pk


def drop_index(apps, schema_editor):
    from blog.search.backends import backend

    with schema_editor.connection.cursor() as cursor:
        backend().drop(cursor)


class Migration(migrations.Migration):
    dependencies = [("blog", "0006_post_is_draft")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
