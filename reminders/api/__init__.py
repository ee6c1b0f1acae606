"""The reminders' REST API, for staff: the same services the admin calls, over JSON."""
