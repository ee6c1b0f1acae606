"""factory_boy factories for the whole suite (other apps' tests import these names)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from blog.models import Comment, Post, Tag, User
from blog.permissions import DEFAULT_GROUP

DEFAULT_PASSWORD = "correct-horse-battery-staple"


@cache
def default_password_hash() -> str:
    """Hashed once per run: hashing with Argon2 for every user would make tests slow."""
    return make_password(DEFAULT_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    """A registered user, in the ``default`` role like every new user.

    ``UserFactory(roles=["poster"])`` adds roles; ``roles=[]`` gives none.
    Every user's password is ``DEFAULT_PASSWORD``.
    """

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.LazyFunction(default_password_hash)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        if not create:
            return
        names = [DEFAULT_GROUP] if extracted is None else list(extracted)
        if names:
            self.groups.add(*Group.objects.filter(name__in=names))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    title = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.title, allow_unicode=True))


class PostFactory(factory.django.DjangoModelFactory):
    """A published post (publish date a minute ago) by a poster.

    ``PostFactory(tags=[tag, ...])`` sets its tags.
    """

    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Post number {n}")
    text = factory.Faker("paragraph", nb_sentences=5)
    author = factory.SubFactory(UserFactory, roles=["default", "poster"])
    publish_date = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs) -> None:
        if create and extracted:
            self.tags.set(extracted)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    user = factory.SubFactory(UserFactory)
    name = factory.LazyAttribute(lambda c: c.user.username if c.user else "A visitor")
    text = factory.Faker("sentence")
