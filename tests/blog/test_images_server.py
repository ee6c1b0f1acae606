"""Uploaded images over a real WSGI server (``manage.py runserver`` in a subprocess, as
``make run`` serves them): the stored content type and ``nosniff`` on the wire, only
generated names served, and the files gone once their post is deleted."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from blog.images import image_prepare
from blog.services import post_delete, post_image_add
from tests.factories import PostFactory, UserFactory
from tests.support import processes
from tests.support.images import image_bytes
from tests.support.smtp import free_port


@pytest.fixture
def server(subprocess_env, request) -> Iterator[tuple[str, int]]:
    port = free_port()
    log_dir = Path(settings.VAR_DIR) / "images-logs" / request.node.name.replace("/", "_")
    process = processes.runserver(env=subprocess_env(), log_dir=log_dir, port=port)
    with processes.running(process):
        processes.wait_for_http(f"http://127.0.0.1:{port}", timeout=90, process=process)
        yield "127.0.0.1", port


def get(server: tuple[str, int], path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_images_are_served_with_their_type_and_nosniff(server, transactional_db) -> None:
    author = UserFactory(username="photographer", roles=["default", "poster"])
    post = PostFactory(author=author)
    image = post_image_add(
        post=post,
        prepared=image_prepare(image_bytes("JPEG", (1000, 500))),
        alt="Over the wire",
        uploaded_by=author,
    )
    try:
        rendition = image.renditions[0]["name"]
        status, headers, body = get(server, f"/media/{rendition}")
        assert status == 200, body[:300]
        assert headers["Content-Type"] == "image/webp"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"

        status, headers, body = get(server, f"/media/{image.original.name}")
        assert status == 200
        assert headers["Content-Type"] == "image/jpeg"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert body[:3] == b"\xff\xd8\xff"

        # The post page names the renditions it serves.
        status, _headers, page = get(server, post.get_absolute_url())
        assert status == 200 and f"/media/{rendition}".encode() in page

        # Nothing but generated names: no other file, no way out of the folder.
        for path in [
            "/media/images/not-generated.html",
            "/media/../config/settings/base.py",
            f"/media/{image.original.name[:-4]}.html",
            "/media/%2e%2e/manage.py",
        ]:
            assert get(server, path)[0] == 404, path
    finally:
        post_delete(post=post)  # autocommit: the files go at once

    assert get(server, f"/media/{rendition}")[0] == 404
    assert not any((Path(settings.MEDIA_ROOT) / name).exists() for name in image.file_names)
