"""Staff's reminder endpoints: list, read, create, and the admin's actions.

Each needs the model permission the admin asks for the same thing (``view``, ``add``,
the custom ``send`` and ``cancel``): ``api/permissions.py``.

Creating goes through ``reminder_create``, so the ``post_save`` receiver schedules the
email after commit exactly as for a reminder made in the admin; the actions call the
services the admin actions call. No endpoint writes a delivery field.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ErrorDetailSerializer, error_responses
from reminders.models import MailKind, Reminder
from reminders.services import (
    reminder_cancel,
    reminder_create,
    reminder_send_again,
    reminder_send_now,
)

from .filters import ReminderFilter
from .permissions import ReminderPermission
from .serializers import ReminderInputSerializer, ReminderSerializer

CONFLICT = {
    409: OpenApiResponse(
        ErrorDetailSerializer, description="The reminder's status does not allow this."
    )
}


def action_schema(summary: str) -> Callable:
    return extend_schema(
        summary=summary,
        request=None,
        responses={200: ReminderSerializer, **error_responses(401, 403, 404), **CONFLICT},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Reminders, latest date first",
        responses={200: ReminderSerializer(many=True), **error_responses(401, 403)},
    ),
    retrieve=extend_schema(
        summary="One reminder with its delivery state",
        responses={200: ReminderSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Schedule an email",
        description="Sent at `date` by a worker, exactly like a reminder made in the admin.",
        request=ReminderInputSerializer,
        responses={201: ReminderSerializer, **error_responses(400, 401, 403)},
    ),
)
class ReminderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReminderSerializer
    # The admin's model permissions, per action (reminders/permissions.py).
    permission_classes = [ReminderPermission]
    filterset_class = ReminderFilter

    def get_queryset(self) -> QuerySet[Reminder]:
        # Reminders only: account emails and digests are the outbox's (admin only).
        return (
            Reminder.objects.filter(kind=MailKind.REMINDER)
            .select_related("user")
            .order_by("-date", "-created")
        )

    def create(self, request: Request) -> Response:
        serializer = ReminderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reminder = reminder_create(**serializer.validated_data)
        data = self.get_serializer(reminder).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def transition(self, service: Callable[..., Reminder]) -> Response:
        reminder = self.get_object()
        try:
            reminder = service(reminder=reminder)
        except ValidationError as error:
            if error.code != "status":
                raise
            return Response({"detail": error.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(reminder).data)

    @action_schema("Send it now instead of at its date (pending, failed or cancelled)")
    @action(detail=True, methods=["post"], url_path="send-now")
    def send_now(self, request: Request, pk: str) -> Response:
        return self.transition(reminder_send_now)

    @action_schema("Send a sent or failed reminder once more, now")
    @action(detail=True, methods=["post"], url_path="send-again")
    def send_again(self, request: Request, pk: str) -> Response:
        return self.transition(reminder_send_again)

    @action_schema("Cancel a pending or failed reminder: no email goes out")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self.transition(reminder_cancel)
