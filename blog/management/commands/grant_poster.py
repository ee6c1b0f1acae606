from django.core.management.base import BaseCommand, CommandError

from blog.models import User
from blog.services import user_grant_poster, user_revoke_poster


class Command(BaseCommand):
    help = "Let a user write posts (the 'poster' role); --revoke takes it away."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Remove the poster role.")

    def handle(self, *args, username: str, revoke: bool, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if revoke:
            changed = user_revoke_poster(user=user)
            message = "is no longer a poster" if changed else "was not a poster"
        else:
            changed = user_grant_poster(user=user)
            message = "is now a poster" if changed else "was already a poster"
        self.stdout.write(self.style.SUCCESS(f"{username} {message}."))
