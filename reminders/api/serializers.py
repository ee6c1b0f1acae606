"""A reminder over JSON: what staff may set, and its delivery state, read-only."""

from __future__ import annotations

from rest_framework import serializers

from config.api import DateTimeField, StrictCharField, StrictEmailField
from reminders.models import DEFAULT_SUBJECT, SUBJECT_MAX_LENGTH, TEXT_MAX_LENGTH, Reminder


class ReminderSerializer(serializers.ModelSerializer):
    user = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The user it was made for (a welcome email), if any.",
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:reminders:reminder-detail")

    class Meta:
        model = Reminder
        fields = [
            "id",
            "email",
            "subject",
            "text",
            "date",
            "user",
            # Delivery state: written by the pipeline only.
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "next_attempt_at",
            "enqueued_at",
            "created",
            "updated",
            "url",
        ]
        read_only_fields = fields


class ReminderInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    text = StrictCharField(max_length=TEXT_MAX_LENGTH)
    date = DateTimeField(help_text="When to send; a past date sends now.")
    subject = StrictCharField(
        max_length=SUBJECT_MAX_LENGTH, required=False, default=DEFAULT_SUBJECT
    )
