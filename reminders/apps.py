from django.apps import AppConfig
from django.db.models.signals import post_save


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .models import Reminder
        from .signals import reminder_saved

        post_save.connect(reminder_saved, sender=Reminder, dispatch_uid="reminders.saved")
