"""A diary, downloaded: the caller's own, or a linked patient's for their therapist."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from diary import audit, exports, selectors
from diary.api.common import IsPatient, IsTherapist, errors
from diary.models import User

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "fhir": ("application/fhir+json", "fhir.json"),
}


def export_response(patient: User, export_format: str, *, own: bool) -> HttpResponse:
    """The diary as a download; the patient's own JSON also says who has seen it (the access audit)."""
    checkins = selectors.checkins_of(patient).order_by("recorded_at", "id")
    medicines = selectors.medicines_of(patient)
    doses = selectors.doses_of(patient).order_by("taken_at", "id")
    content_type, suffix = FORMATS[export_format]
    if export_format == "csv":
        body = exports.as_csv(patient, checkins, medicines, doses)
    elif export_format == "json":
        document = exports.as_json(patient, checkins, medicines, doses)
        if own:
            document["access_log"] = exports.access_rows(audit.events_about(patient))
        body = json.dumps(document, ensure_ascii=False, indent=1)
    else:
        body = json.dumps(exports.as_fhir(patient, checkins, doses), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(patient, suffix, selectors.today_for(patient))
    return response


class FormatParameterNegotiation(BaseContentNegotiation):
    """?format= chooses the download, not the Accept header.

    A script asking for ``?format=csv`` with ``Accept: text/csv`` must not get 406;
    the errors this view can answer (400, 401, 403) are JSON whatever was accepted.
    """

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(FORMATS))


FORMAT_PARAMETER = OpenApiParameter("format", str, enum=list(FORMATS), required=True)
# The download, by format: one response per content type.
EXPORT_ANSWERS = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.STR, description="format=csv: one row per check-in, medicine and dose (column record)."
    ),
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="format=json: the diary."),
    (200, "application/fhir+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="format=fhir: an R4 Bundle."),
}


def checked_format(request: Any) -> str:
    query = ExportQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    export_format: str = query.validated_data["format"]
    return export_format


class ExportView(APIView):
    permission_classes = [IsPatient]
    content_negotiation_class = FormatParameterNegotiation

    @extend_schema(
        operation_id="export_retrieve",
        parameters=[FORMAT_PARAMETER],
        responses={**EXPORT_ANSWERS, **errors(400, 401, 403)},
    )
    def get(self, request: Any) -> HttpResponse:
        """Download the caller's whole diary."""
        return export_response(request.user, checked_format(request), own=True)


class PatientExportView(APIView):
    permission_classes = [IsTherapist]
    content_negotiation_class = FormatParameterNegotiation

    @extend_schema(
        operation_id="patients_export_retrieve",
        parameters=[FORMAT_PARAMETER],
        responses={**EXPORT_ANSWERS, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any, patient_id: int) -> HttpResponse:
        """Download a linked patient's whole diary."""
        patient = selectors.patient_for(request.user, patient_id)
        return export_response(patient, checked_format(request), own=False)
