"""Factories of the reminders tests (users and posts come from tests/factories.py)."""

import factory
from django.utils import timezone

from reminders.models import Reminder


class ReminderFactory(factory.django.DjangoModelFactory):
    """A pending reminder due now. Saving it schedules it like any save does."""

    class Meta:
        model = Reminder

    date = factory.LazyFunction(timezone.now)
    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    subject = "Welcome!"
    text = factory.Sequence(lambda n: f"Hello reader {n},\nthis is your reminder.")
