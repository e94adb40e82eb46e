"""Reminders (API.md 1.1): the server's push key, a patient's phones, and when to remind them.

Nothing here sends anything yet: these are the settings and subscriptions a sender will use.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from diary import push, selectors, services
from diary.api.common import CodeListField, ErrorSerializer, IsPatient, StrictBooleanField, errors
from diary.models import PUSH_ENDPOINT_MAX_LENGTH, REMINDER_TIMES_MAX, ReminderSettings


class PushKeyView(APIView):
    # Public: the key is in every page that subscribes, and says nothing about anyone.
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    class Output(serializers.Serializer):
        public_key = serializers.CharField(help_text="The VAPID application server key: base64url, uncompressed P-256.")

    @extend_schema(
        operation_id="push_key",
        responses={
            200: Output,
            503: OpenApiResponse(ErrorSerializer, description="The server has no VAPID key: push is not available."),
        },
    )
    def get(self, request: Any) -> Response:
        """The key a browser subscribes with (pushManager.subscribe's applicationServerKey)."""
        problem = push.key_problem()
        if problem is not None:
            return Response({"detail": problem}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"public_key": push.public_key()})


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint = serializers.CharField()
    created_at = serializers.DateTimeField()


class PushSubscriptionListCreateView(APIView):
    permission_classes = [IsPatient]
    throttle_scope = "push_subscribe"

    class Keys(serializers.Serializer):
        p256dh = serializers.CharField(max_length=100)
        auth = serializers.CharField(max_length=50)

    class SubscriptionInput(serializers.Serializer):
        """A browser's PushSubscription.toJSON(); expirationTime is accepted and ignored."""

        endpoint = serializers.CharField(max_length=PUSH_ENDPOINT_MAX_LENGTH)
        keys = serializers.DictField(child=serializers.CharField(max_length=100))
        expirationTime = serializers.IntegerField(required=False, allow_null=True)

    def get_throttles(self) -> list[BaseThrottle]:
        # Only subscribing is limited: each one is a row, and an address the sender will post to.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        operation_id="push_subscriptions_list", responses={200: SubscriptionOutput(many=True), **errors(401, 403)}
    )
    def get(self, request: Any) -> Response:
        """The caller's subscribed phones."""
        return Response(SubscriptionOutput(selectors.push_subscriptions_of(request.user), many=True).data)

    @extend_schema(
        operation_id="push_subscriptions_create",
        request=SubscriptionInput,
        responses={201: SubscriptionOutput, 200: SubscriptionOutput, **errors(400, 401, 403, 413, 415, 429)},
        description="201 for a new subscription (or one moved from another account); 200 when the caller "
        "already has it. The endpoint must be a browser's push service (PUSH_SERVICE_HOSTS), else 400.",
    )
    def post(self, request: Any) -> Response:
        """Remember this phone's push subscription, to remind the caller on it."""
        serializer = self.SubscriptionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        keys = data["keys"]
        missing = [name for name in ("p256dh", "auth") if not keys.get(name)]
        if missing:
            return Response({"keys": [f"Missing: {', '.join(missing)}."]}, status=status.HTTP_400_BAD_REQUEST)
        result = services.push_subscription_save(
            patient=request.user, endpoint=data["endpoint"], p256dh=keys["p256dh"], auth=keys["auth"]
        )
        return Response(
            SubscriptionOutput(result.subscription).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class PushSubscriptionDetailView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(operation_id="push_subscriptions_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Any, subscription_id: int) -> Response:
        """Stop reminding the caller on this phone."""
        subscription = selectors.own_push_subscription(request.user, subscription_id)
        services.push_subscription_delete(subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Channels(serializers.Serializer):
    push = StrictBooleanField()
    email = StrictBooleanField()


class RemindersBody(serializers.Serializer):
    # Blank and odd strings pass here so that the model's one rule (HH:MM) answers them in its words.
    times = CodeListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=16),
        help_text=f"Up to {REMINDER_TIMES_MAX} local times of the patient's own zone, each HH:MM (24-hour clock).",
    )
    enabled = StrictBooleanField()
    missed_nudge = StrictBooleanField(help_text="A nudge after 2 days without a check-in.")
    channels = Channels()


def reminders_data(reminder_settings: ReminderSettings) -> dict[str, Any]:
    return {
        "times": list(reminder_settings.times),
        "enabled": reminder_settings.enabled,
        "missed_nudge": reminder_settings.missed_nudge,
        "channels": {"push": reminder_settings.push, "email": reminder_settings.email},
    }


class RemindersView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(operation_id="reminders_get", responses={200: RemindersBody, **errors(401, 403)})
    def get(self, request: Any) -> Response:
        """When and how the caller is reminded to check in."""
        return Response(reminders_data(selectors.reminder_settings_of(request.user)))

    @extend_schema(
        operation_id="reminders_put",
        request=RemindersBody,
        responses={200: RemindersBody, **errors(400, 401, 403, 413, 415)},
        description=f"Replace the settings. At most {REMINDER_TIMES_MAX} times, each HH:MM; 400 otherwise.",
    )
    def put(self, request: Any) -> Response:
        """Choose when and how to be reminded."""
        body = RemindersBody(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reminder_settings = services.reminders_update(
            patient=request.user,
            times=data["times"],
            enabled=data["enabled"],
            missed_nudge=data["missed_nudge"],
            push=data["channels"]["push"],
            email=data["channels"]["email"],
        )
        return Response(reminders_data(reminder_settings))
