"""The receiver of django-anymail's ``tracking`` signal: each provider event to the
service. Connected in ``RemindersConfig.ready()``; no logic of its own."""

from __future__ import annotations

from anymail.signals import AnymailTrackingEvent

from .mail_events import mail_event_record


def tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    mail_event_record(provider=esp_name, event=event)
