"""A patient's medicines and the doses they take (API.md 1.1); linked therapists read both."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from diary import medication, selectors
from diary.api.checkins import LIST_PARAMETERS, CheckinPagination, DateRangeSerializer
from diary.api.common import (
    AwareDateTimeField,
    IsPatient,
    IsTherapist,
    PatientLocalTimeField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    errors,
    page_of,
)
from diary.api.flags import AlertSerializer
from diary.flags import alerts_for
from diary.limits import DOSE_AMOUNT_MAX_LENGTH, MEDICINE_NAME_MAX_LENGTH, MEDICINE_STRENGTH_MAX_LENGTH
from diary.models import DoseReason, MedicineKind, PartOfDay, Relief, User

NAME_LENGTH = f"Give the medicine's name, 1 to {MEDICINE_NAME_MAX_LENGTH} characters."
STRENGTH_LENGTH = f"The strength can be at most {MEDICINE_STRENGTH_MAX_LENGTH} characters."
AMOUNT_LENGTH = f"The amount can be at most {DOSE_AMOUNT_MAX_LENGTH} characters."


class MedicineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    strength = serializers.CharField()
    kind = serializers.ChoiceField(choices=MedicineKind.values)
    active = serializers.BooleanField()
    code = serializers.CharField(help_text="Reserved for an RxNorm or national code; empty for now.")
    created_at = serializers.DateTimeField()


class MedicineFields(serializers.Serializer):
    name = StrictCharField(
        max_length=MEDICINE_NAME_MAX_LENGTH,
        error_messages={"max_length": NAME_LENGTH, "blank": NAME_LENGTH},
        help_text="The patient's own words, 1 to 100 characters.",
    )
    strength = StrictCharField(
        max_length=MEDICINE_STRENGTH_MAX_LENGTH,
        error_messages={"max_length": STRENGTH_LENGTH},
        allow_blank=True,
        required=False,
        default="",
        help_text='Free text: "10 mg", "1–2 tablets".',
    )
    kind = serializers.ChoiceField(choices=MedicineKind.values)


def medicine_list_response(patient: User) -> Response:
    return Response(MedicineOutput(selectors.medicines_of(patient), many=True).data)


class MedicineListCreateView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(operation_id="medicines_list", responses={200: MedicineOutput(many=True), **errors(401, 403)})
    def get(self, request: Any) -> Response:
        """The caller's medicines, those still taken first."""
        return medicine_list_response(request.user)

    @extend_schema(
        operation_id="medicines_create",
        request=MedicineFields,
        responses={201: MedicineOutput, **errors(400, 401, 403, 413, 415)},
    )
    def post(self, request: Any) -> Response:
        """Add a medicine to the caller's list."""
        serializer = MedicineFields(data=request.data)
        serializer.is_valid(raise_exception=True)
        medicine = medication.medicine_create(patient=request.user, **serializer.validated_data)
        return Response(MedicineOutput(medicine).data, status=status.HTTP_201_CREATED)


class MedicineDetailView(APIView):
    permission_classes = [IsPatient]

    class MedicineUpdate(MedicineFields):
        active = StrictBooleanField(required=False, help_text="false: the patient has stopped taking it.")

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(
        operation_id="medicines_update",
        request=MedicineUpdate,
        responses={200: MedicineOutput, **errors(400, 401, 403, 404, 413, 415)},
    )
    def patch(self, request: Any, medicine_id: int) -> Response:
        """Rename, correct or stop one of the caller's medicines."""
        medicine = selectors.own_medicine(request.user, medicine_id)
        serializer = self.MedicineUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        medicine = medication.medicine_update(medicine=medicine, **serializer.validated_data)
        return Response(MedicineOutput(medicine).data)

    @extend_schema(
        operation_id="medicines_delete",
        responses={204: None, **errors(401, 403, 404)},
        description="A medicine with doses in the diary is kept, marked active: false; one without is deleted.",
    )
    def delete(self, request: Any, medicine_id: int) -> Response:
        """Take a medicine off the caller's list."""
        medicine = selectors.own_medicine(request.user, medicine_id)
        medication.medicine_delete(medicine=medicine)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DoseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    medicine_id = serializers.IntegerField()
    medicine = MedicineOutput()
    taken_at = PatientLocalTimeField(attribute="taken_at")
    local_date = serializers.DateField(help_text="The day in the patient's own time zone.")
    part_of_day = serializers.ChoiceField(choices=PartOfDay.values)
    amount = serializers.CharField()
    reason = serializers.ChoiceField(choices=DoseReason.values)
    relief = serializers.ChoiceField(choices=Relief.values, allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DoseCreated(DoseOutput):
    alerts = AlertSerializer(many=True, help_text="Emergency and urgent flags active after this dose.")


DosePage = page_of("DosePage", DoseOutput(many=True))


def dose_list_response(request: Any, view: APIView, patient: User) -> Response:
    """One page of a patient's doses, newest first, filtered by local date: as check-ins are listed."""
    dates = DateRangeSerializer(data=request.query_params)
    dates.is_valid(raise_exception=True)
    period = {key: dates.validated_data[key] for key in ("since", "until") if key in dates.validated_data}
    doses = selectors.doses_of(patient, **period).select_related("patient")
    paginator = CheckinPagination()
    page = paginator.paginate_queryset(doses, request, view=view)
    return paginator.get_paginated_response(DoseOutput(page, many=True).data)


class DoseListCreateView(APIView):
    permission_classes = [IsPatient]

    class DoseCreate(serializers.Serializer):
        client_uuid = serializers.UUIDField(help_text="Made on the device; sending it again never makes a second row.")
        medicine_id = StrictIntegerField(help_text="One of the caller's own medicines.")
        taken_at = AwareDateTimeField(help_text="When it was taken, with a UTC offset.")
        amount = StrictCharField(
            max_length=DOSE_AMOUNT_MAX_LENGTH,
            error_messages={"max_length": AMOUNT_LENGTH},
            allow_blank=True,
            required=False,
            default="",
            help_text='Free text: "1 tablet".',
        )
        reason = serializers.ChoiceField(
            choices=DoseReason.values,
            required=False,
            help_text="Default breakthrough_pain for an as-needed medicine, scheduled for a regular one.",
        )

    @extend_schema(
        operation_id="doses_list",
        parameters=LIST_PARAMETERS,
        responses={200: DosePage, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any) -> Response:
        """The caller's own doses, newest first."""
        return dose_list_response(request, self, request.user)

    @extend_schema(
        operation_id="doses_create",
        request=DoseCreate,
        responses={201: DoseCreated, 200: DoseCreated, **errors(400, 401, 403, 409, 413, 415)},
        description="201 when stored; 200 with the stored dose when this client_uuid was already sent "
        "by the same patient; 409 when another patient used it.",
    )
    def post(self, request: Any) -> Response:
        """Store a dose, once per client_uuid."""
        serializer = self.DoseCreate(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = medication.dose_create(patient=request.user, **serializer.validated_data)
        except medication.DoseUuidConflict:
            return Response(
                {"detail": "This client_uuid is already in use. Make a new one for a new dose."},
                status=status.HTTP_409_CONFLICT,
            )
        # No medicine flag is emergency or urgent, so a dose never makes an alert news; the list
        # still tells the phone what is open, as a check-in's answer does.
        alerts = alerts_for(request.user)
        data = {**DoseOutput(result.dose).data, "alerts": AlertSerializer(alerts, many=True).data}
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class DoseDetailView(APIView):
    permission_classes = [IsPatient]

    class DoseUpdate(serializers.Serializer):
        relief = serializers.ChoiceField(
            choices=Relief.values, allow_null=True, help_text="How much the dose helped, asked 30–60 minutes after it."
        )

    @extend_schema(operation_id="doses_retrieve", responses={200: DoseOutput, **errors(401, 403, 404)})
    def get(self, request: Any, dose_id: int) -> Response:
        """One of the caller's own doses."""
        return Response(DoseOutput(selectors.own_dose(request.user, dose_id)).data)

    @extend_schema(
        operation_id="doses_update",
        request=DoseUpdate,
        responses={200: DoseOutput, **errors(400, 401, 403, 404, 413, 415)},
    )
    def patch(self, request: Any, dose_id: int) -> Response:
        """Say how much a dose helped."""
        dose = selectors.own_dose(request.user, dose_id)
        serializer = self.DoseUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        dose = medication.dose_update(dose=dose, relief=serializer.validated_data["relief"])
        return Response(DoseOutput(dose).data)

    @extend_schema(operation_id="doses_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Any, dose_id: int) -> Response:
        """Delete one of the caller's own doses."""
        medication.dose_delete(dose=selectors.own_dose(request.user, dose_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientMedicineListView(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="patients_medicines_list", responses={200: MedicineOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Any, patient_id: int) -> Response:
        """A linked patient's medicines."""
        return medicine_list_response(selectors.patient_for(request.user, patient_id))


class PatientDoseListView(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(
        operation_id="patients_doses_list",
        parameters=LIST_PARAMETERS,
        responses={200: DosePage, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Any, patient_id: int) -> Response:
        """A linked patient's doses, newest first."""
        return dose_list_response(request, self, selectors.patient_for(request.user, patient_id))
