"""What the trend module found: flags and daily trends, for the patient and their therapists."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import flag_policy, selectors, trends
from diary.api.common import IsPatient, IsTherapist, QueryIntegerField, StrictBooleanField, errors
from diary.flags import FlagNotActive, flag_acknowledge, flags_for
from diary.models import FlagLevel, Symptom


class AcknowledgerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class AcknowledgedSerializer(serializers.Serializer):
    by = AcknowledgerSerializer(help_text="The therapist who acknowledged it.")
    at = serializers.DateTimeField()
    note = serializers.CharField(
        allow_blank=True, allow_null=True, help_text="For the patient, null unless the therapist chose to share it."
    )
    follow_up_on = serializers.DateField(
        allow_null=True, help_text="Raised again if the flag still holds after this date (patient's calendar)."
    )
    share_with_patient = serializers.BooleanField(help_text="Whether the patient sees the note.")


class FlagSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[rule.code for rule in trends.RULES])
    level = serializers.ChoiceField(choices=FlagLevel.choices)
    title = serializers.CharField(help_text="A plain-language sentence for the patient.")
    detail = serializers.CharField(help_text="The evidence in numbers.")
    since = serializers.DateField(help_text="The local date the pattern first held in its current run.")
    evidence = serializers.DictField(help_text="The figures, and checkin_ids: the check-ins behind the flag.")
    # A field called "source" shadows Field.source in the stubs only; DRF pops declared fields.
    source = serializers.CharField(help_text="Where the rule comes from.")  # type: ignore[assignment]
    name = serializers.CharField(help_text="The rule's name in words.")
    clinician_title = serializers.CharField(help_text="The flag in a clinician's words.")
    clinician_detail = serializers.CharField(help_text="The evidence in a clinician's words.")
    action = serializers.SerializerMethodField(help_text="What the patient should do, by level.")
    acknowledged = AcknowledgedSerializer(allow_null=True)

    def get_action(self, flag: dict[str, Any]) -> str:
        return flag_policy.PATIENT_ACTION[flag["level"]]


class AlertSerializer(FlagSerializer):
    new = serializers.BooleanField(
        help_text="True when this check-in raised the flag, raised it again (worse or different), or reported "
        "one of an emergency flag's symptoms: only then does the app show its full-screen alert."
    )
    status = serializers.CharField(help_text="A calm line about the open flag, for an alert that is not new.")


class FlagsSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="Today in the patient's time zone.")
    flags = FlagSerializer(many=True)
    not_enough_data = serializers.ListField(
        child=serializers.CharField(), help_text="Rules that could not be judged yet."
    )


class TrendDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    checkins = serializers.IntegerField()
    pain_max = serializers.IntegerField(allow_null=True)
    pain_mean = serializers.FloatField(allow_null=True)
    pain_first = serializers.IntegerField(allow_null=True)
    pain_last = serializers.IntegerField(allow_null=True)
    fatigue_max = serializers.IntegerField(allow_null=True)
    sleep_hours = serializers.FloatField(allow_null=True)
    weight_kg = serializers.FloatField(allow_null=True)
    exercise_minutes = serializers.IntegerField(allow_null=True)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=Symptom.values))
    as_needed_doses = serializers.IntegerField(
        allow_null=True,
        help_text="The date's as-needed doses: 0 on a date with a check-in or a dose but none as-needed, "
        "null on a date with neither.",
    )


class TrendsSerializer(serializers.Serializer):
    days = TrendDaySerializer(many=True)
    flags = FlagSerializer(many=True)


class TrendsQuery(serializers.Serializer):
    days = QueryIntegerField(min_value=7, max_value=365, default=30)


NO_SUCH_FLAG = "This patient has no active flag with that code."

DAYS_PARAMETER = OpenApiParameter("days", int, description="How many local dates, ending today: 7 to 365 (30).")


def flags_response(request: Any, patient: Any) -> Response:
    flags = flags_for(patient, for_clinician=request.user.is_therapist)
    return Response(FlagsSerializer(flags).data)


def trends_response(request: Any, patient: Any) -> Response:
    query = TrendsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = {
        "days": selectors.trend_days(patient, query.validated_data["days"]),
        "flags": flags_for(patient, for_clinician=request.user.is_therapist)["flags"],
    }
    return Response(TrendsSerializer(data).data)


class FlagListView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(operation_id="flags_list", responses={200: FlagsSerializer, **errors(401, 403)})
    def get(self, request: Any) -> Response:
        """The caller's active flags, most severe first."""
        return flags_response(request, request.user)


class TrendsView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(
        operation_id="trends_retrieve",
        parameters=[DAYS_PARAMETER],
        responses={200: TrendsSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Any) -> Response:
        """The caller's day-by-day figures, one row per local date, with their flags."""
        return trends_response(request, request.user)


class PatientFlagListView(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(operation_id="patients_flags_list", responses={200: FlagsSerializer, **errors(401, 403, 404)})
    def get(self, request: Any, patient_id: int) -> Response:
        """A linked patient's active flags, most severe first."""
        return flags_response(request, selectors.patient_for(request.user, patient_id))


class PatientTrendsView(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="patients_trends_retrieve",
        parameters=[DAYS_PARAMETER],
        responses={200: TrendsSerializer, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any, patient_id: int) -> Response:
        """A linked patient's day-by-day figures, with their flags."""
        return trends_response(request, selectors.patient_for(request.user, patient_id))


class FlagAcknowledgeView(APIView):
    permission_classes = [IsTherapist]

    class AcknowledgeInput(serializers.Serializer):
        note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")
        follow_up_on = serializers.DateField(
            required=False,
            allow_null=True,
            default=None,
            help_text="When to look again if the flag still holds: default 7 days on, 1 day for an emergency.",
        )
        share_with_patient = StrictBooleanField(
            required=False, default=False, help_text="Show the note to the patient with their guidance."
        )

    @extend_schema(
        operation_id="patients_flags_acknowledge",
        request=AcknowledgeInput,
        responses={200: FlagSerializer, **errors(400, 401, 403, 404, 413, 415)},
        description="404 when the patient is not linked to the caller or has no active flag with this code.",
    )
    def post(self, request: Any, patient_id: int, code: str) -> Response:
        """Mark a flag as seen, with a note. A later check-in that adds evidence raises it again."""
        patient = selectors.patient_for(request.user, patient_id)
        serializer = self.AcknowledgeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            flag_acknowledge(patient=patient, therapist=request.user, code=code, **serializer.validated_data)
        except FlagNotActive:
            return Response({"detail": NO_SUCH_FLAG}, status=status.HTTP_404_NOT_FOUND)
        # As the flag stands now: a check-in sent a moment ago may already have raised it again.
        flag = next((f for f in flags_for(patient, for_clinician=True)["flags"] if f["code"] == code), None)
        if flag is None:  # a check-in deleted a moment ago took the flag away
            return Response({"detail": NO_SUCH_FLAG}, status=status.HTTP_404_NOT_FOUND)
        return Response(FlagSerializer(flag).data)
