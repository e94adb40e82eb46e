"""A patient's own check-ins: create (idempotently), list, read, change, delete."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import selectors, services
from diary.api.common import (
    AwareDateTimeField,
    CodeListField,
    IsPatient,
    PatientLocalTimeField,
    QueryDateField,
    QueryIntegerField,
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
    errors,
    page_of,
)
from diary.api.flags import AlertSerializer
from diary.flags import alerts_for
from diary.limits import (
    EXERCISE_MINUTES,
    FATIGUE,
    NOTES_MAX_LENGTH,
    NOTES_TOO_LONG,
    PAIN,
    SLEEP_HOURS,
    WEIGHT_KG,
)
from diary.models import MovementEffect, PainLocation, PartOfDay, RestHelped, Symptom, User

# Fields that name an owner are refused outright rather than silently ignored:
# a client sending one has misunderstood whose diary it is writing to.
OWNER_FIELDS = ("patient", "owner")


class CheckinFields(serializers.Serializer):
    """The reportable fields of a check-in, with the ranges of API.md."""

    recorded_at = AwareDateTimeField(help_text="When this was true, with a UTC offset.")
    pain = StrictIntegerField(
        min_value=PAIN.low, max_value=PAIN.high, error_messages=PAIN.error_messages(), allow_null=True, required=False
    )
    pain_locations = CodeListField(
        child=serializers.ChoiceField(choices=PainLocation.values), required=False, max_length=len(PainLocation)
    )
    movement_effect = serializers.ChoiceField(choices=MovementEffect.values, allow_null=True, required=False)
    fatigue = StrictIntegerField(
        min_value=FATIGUE.low,
        max_value=FATIGUE.high,
        error_messages=FATIGUE.error_messages(),
        allow_null=True,
        required=False,
    )
    rest_helped = serializers.ChoiceField(choices=RestHelped.values, allow_null=True, required=False)
    sleep_hours = StrictFloatField(
        min_value=SLEEP_HOURS.low,
        max_value=SLEEP_HOURS.high,
        error_messages=SLEEP_HOURS.error_messages(),
        allow_null=True,
        required=False,
    )
    woke_from_pain = StrictBooleanField(allow_null=True, required=False)
    weight_kg = StrictFloatField(
        min_value=WEIGHT_KG.low,
        max_value=WEIGHT_KG.high,
        error_messages=WEIGHT_KG.error_messages(),
        allow_null=True,
        required=False,
    )
    exercise_minutes = StrictIntegerField(
        min_value=EXERCISE_MINUTES.low,
        max_value=EXERCISE_MINUTES.high,
        error_messages=EXERCISE_MINUTES.error_messages(),
        allow_null=True,
        required=False,
    )
    symptoms = CodeListField(
        child=serializers.ChoiceField(choices=Symptom.values), required=False, max_length=len(Symptom)
    )
    notes = StrictCharField(
        max_length=NOTES_MAX_LENGTH,
        error_messages={"max_length": NOTES_TOO_LONG},
        allow_blank=True,
        required=False,
        trim_whitespace=False,
    )


class CheckinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    recorded_at = PatientLocalTimeField()
    local_date = serializers.DateField(help_text="The day in the patient's own time zone.")
    part_of_day = serializers.ChoiceField(choices=PartOfDay.values)
    pain = serializers.IntegerField(allow_null=True)
    pain_locations = serializers.ListField(child=serializers.ChoiceField(choices=PainLocation.values))
    movement_effect = serializers.ChoiceField(choices=MovementEffect.values, allow_null=True)
    fatigue = serializers.IntegerField(allow_null=True)
    rest_helped = serializers.ChoiceField(choices=RestHelped.values, allow_null=True)
    sleep_hours = serializers.FloatField(allow_null=True)
    woke_from_pain = serializers.BooleanField(allow_null=True)
    weight_kg = serializers.FloatField(allow_null=True)
    exercise_minutes = serializers.IntegerField(allow_null=True)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=Symptom.values))
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CheckinCreated(CheckinOutput):
    alerts = AlertSerializer(many=True, help_text="Emergency and urgent flags active after this check-in.")


CheckinPage = page_of("CheckinPage", CheckinOutput(many=True))


class CheckinPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DateRangeSerializer(serializers.Serializer):
    """The query of a list of check-ins; also its documented parameters."""

    since = QueryDateField(required=False, help_text="First local date, inclusive.")
    until = QueryDateField(required=False, help_text="Last local date, inclusive.")
    # Checked here so that page=0 or page_size=-1 is a 400 that says why; a page past the last is a 404.
    page = QueryIntegerField(required=False, min_value=1, help_text="From 1; a page past the last is a 404.")
    page_size = QueryIntegerField(
        required=False, min_value=1, max_value=CheckinPagination.max_page_size, help_text="1 to 200; 50 by default."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be on or after since."]})
        return attrs


LIST_PARAMETERS = [DateRangeSerializer]


def checkin_list_response(request: Any, view: APIView, patient: User) -> Response:
    """One page of a patient's check-ins, newest first, filtered by local date."""
    dates = DateRangeSerializer(data=request.query_params)
    dates.is_valid(raise_exception=True)
    period = {key: dates.validated_data[key] for key in ("since", "until") if key in dates.validated_data}
    checkins = selectors.checkins_of(patient, **period).select_related("patient")
    paginator = CheckinPagination()
    page = paginator.paginate_queryset(checkins, request, view=view)
    return paginator.get_paginated_response(CheckinOutput(page, many=True).data)


def refuse_owner_fields(data: Any) -> Response | None:
    if isinstance(data, dict):
        named = {
            key: ["Check-ins always belong to the signed-in patient; do not send this field."]
            for key in OWNER_FIELDS
            if key in data
        }
        if named:
            return Response(named, status=status.HTTP_400_BAD_REQUEST)
    return None


class CheckinListCreateView(APIView):
    permission_classes = [IsPatient]

    class CheckinCreate(CheckinFields):
        client_uuid = serializers.UUIDField(help_text="Made on the device; sending it again never makes a second row.")

    @extend_schema(
        operation_id="checkins_list",
        parameters=LIST_PARAMETERS,
        responses={200: CheckinPage, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any) -> Response:
        """The caller's own check-ins, newest first."""
        return checkin_list_response(request, self, request.user)

    @extend_schema(
        operation_id="checkins_create",
        request=CheckinCreate,
        responses={
            201: CheckinCreated,
            200: CheckinCreated,
            **errors(400, 401, 403, 409, 413, 415),
        },
        description="201 when stored; 200 with the stored check-in when this client_uuid was already sent "
        "by the same patient; 409 when another patient used it.",
    )
    def post(self, request: Any) -> Response:
        """Store a check-in, once per client_uuid."""
        refused = refuse_owner_fields(request.data)
        if refused is not None:
            return refused
        serializer = self.CheckinCreate(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.checkin_create(patient=request.user, **serializer.validated_data)
        except services.ClientUuidConflict:
            return Response(
                {"detail": "This client_uuid is already in use. Make a new one for a new check-in."},
                status=status.HTTP_409_CONFLICT,
            )
        # The alerts tell the phone at once what to do, on a replay as much as on the first send.
        # A replay answers the same "new" as the first send: the check-in keeps which alerts it made news.
        alerts = alerts_for(
            request.user, new_codes=result.checkin.new_alerts, state=result.flags, acks=result.acknowledgements
        )
        data = {**CheckinOutput(result.checkin).data, "alerts": AlertSerializer(alerts, many=True).data}
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CheckinDetailView(APIView):
    permission_classes = [IsPatient]

    class CheckinUpdate(CheckinFields):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(operation_id="checkins_retrieve", responses={200: CheckinOutput, **errors(401, 403, 404)})
    def get(self, request: Any, checkin_id: int) -> Response:
        """One of the caller's own check-ins."""
        checkin = selectors.own_checkin(request.user, checkin_id)
        return Response(CheckinOutput(checkin).data)

    @extend_schema(
        operation_id="checkins_update",
        request=CheckinUpdate,
        responses={200: CheckinOutput, **errors(400, 401, 403, 404, 413, 415)},
    )
    def patch(self, request: Any, checkin_id: int) -> Response:
        """Correct a check-in. Its client_uuid never changes."""
        checkin = selectors.own_checkin(request.user, checkin_id)
        refused = refuse_owner_fields(request.data)
        if refused is not None:
            return refused
        serializer = self.CheckinUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkin = services.checkin_update(checkin=checkin, **serializer.validated_data)
        return Response(CheckinOutput(checkin).data)

    @extend_schema(operation_id="checkins_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Any, checkin_id: int) -> Response:
        """Delete one of the caller's own check-ins."""
        checkin = selectors.own_checkin(request.user, checkin_id)
        services.checkin_delete(checkin=checkin)
        return Response(status=status.HTTP_204_NO_CONTENT)
