from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save, pre_delete


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        # checks: registers the system checks. tasks: every process registers the
        # tasks, so publishing by name (services.publishing) resolves to them; tasks
        # import services, never the reverse.
        from anymail.signals import tracking

        from . import checks, tasks, webhook_checks  # noqa: F401
        from .models import Reminder
        from .signals import reminder_saved, user_deleting
        from .webhooks import tracking_received

        post_save.connect(reminder_saved, sender=Reminder, dispatch_uid="reminders.saved")
        pre_delete.connect(
            user_deleting, sender=settings.AUTH_USER_MODEL, dispatch_uid="reminders.user_deleting"
        )
        # The providers' events (reminders/webhook_views.py): recorded, fed to the
        # suppression list.
        tracking.connect(tracking_received, dispatch_uid="reminders.tracking_received")
