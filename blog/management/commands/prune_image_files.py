"""``manage.py prune_image_files``: image files no post image names, left by an upload
whose transaction rolled back, removed from ``STORAGES["default"]`` (docs/blog.md,
"Images"). Safe to run at any time, e.g. daily from cron."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from blog.services import image_files_prune


class Command(BaseCommand):
    help = "Remove image files that no post image refers to."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=3600,
            metavar="SECONDS",
            help="Only files older than this (default 3600): younger ones may belong to "
            "an upload still being saved.",
        )

    def handle(self, *args, older_than: int, **options) -> None:
        removed = image_files_prune(older_than=timedelta(seconds=max(older_than, 0)))
        self.stdout.write(f"Removed {len(removed)} file{'s' if len(removed) != 1 else ''}.")
