"""What a therapist reads about the patients linked to them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import audit, selectors
from diary.api.checkins import LIST_PARAMETERS, CheckinPage, checkin_list_response
from diary.api.common import IsTherapist, errors
from diary.api.flags import FlagSerializer
from diary.flags import patients_by_urgency
from diary.models import FlagLevel


class Adherence(serializers.Serializer):
    last_14_days = serializers.IntegerField()
    last_30_days = serializers.IntegerField()
    reminders_on = serializers.BooleanField(help_text="Whether the patient's reminders are on (never their times).")


class PatientListView(APIView):
    permission_classes = [IsTherapist]

    class PatientSummary(serializers.Serializer):
        id = serializers.IntegerField()
        display_name = serializers.CharField()
        last_checkin_at = serializers.DateTimeField(allow_null=True)
        top_level = serializers.ChoiceField(
            choices=FlagLevel.choices,
            allow_null=True,
            help_text="The most severe level among the flags; null if none.",
        )
        flags = FlagSerializer(many=True)
        adherence = Adherence(help_text="Days with a check-in among the patient's last 14 and 30 local dates.")

    @extend_schema(operation_id="patients_list", responses={200: PatientSummary(many=True), **errors(401, 403)})
    def get(self, request: Any) -> Response:
        """The therapist's linked patients, most urgent first, with their flags."""
        rows = patients_by_urgency(request.user)
        audit.shown(request, [row["id"] for row in rows])
        adherence = selectors.adherence_of([row["patient"] for row in rows])
        for row in rows:
            row["adherence"] = adherence[row["id"]]
        return Response(self.PatientSummary(rows, many=True).data)


class PatientCheckinListView(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="patients_checkins_list",
        parameters=LIST_PARAMETERS,
        responses={200: CheckinPage, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any, patient_id: int) -> Response:
        """A linked patient's check-ins, newest first."""
        patient = selectors.patient_for(request.user, patient_id)
        return checkin_list_response(request, self, patient)
