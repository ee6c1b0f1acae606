"""``manage.py rebuild_search_index``: the search table dropped, made again and filled
from every post (``blog.search``). For after a restore, a change of the index's make-up
or tags renamed in the admin; the services keep it in step otherwise."""

from django.core.management.base import BaseCommand

from blog import search


class Command(BaseCommand):
    help = "Rebuild the search index of the posts from the posts."

    def handle(self, *args, **options) -> None:
        count = search.index_rebuild()
        self.stdout.write(f"Indexed {count} post{'s' if count != 1 else ''}.")
