"""Medicines and doses: every write to a patient's list of medicines and to the doses they log.

Split out of diary/services.py, which keeps the rest of the diary's writes. The rules here are
those of API.md 1.1: a dose is stored once per client_uuid exactly like a check-in, dated in the
patient's zone, and every change that the rescue-dose flags read re-judges them under the diary's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diary import selectors
from diary.chart_cache import charts_changed
from diary.flags import flags_refresh, lock_diary
from diary.models import Dose, DoseReason, Medicine, MedicineKind, User
from diary.services import local_moment, moment_problem


class DoseUuidConflict(Exception):
    """The client_uuid belongs to another patient's dose."""


def medicine_create(*, patient: User, name: str, kind: str, strength: str = "", code: str = "") -> Medicine:
    """Add a medicine to a patient's own list. Names are the patient's words, trimmed."""
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients keep a list of medicines."]})
    medicine = Medicine(patient=patient, name=name.strip(), strength=strength.strip(), kind=kind, code=code)
    medicine.full_clean(exclude=["patient"])
    medicine.save()
    # Not re-judged (a medicine without doses changes no flag), so the charts are told themselves.
    charts_changed(patient)
    return medicine


@transaction.atomic
def medicine_update(
    *,
    medicine: Medicine,
    name: str | None = None,
    strength: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> Medicine:
    """Rename, correct or stop a medicine. A change of kind re-judges the flags, which count as-needed doses."""
    old_kind = medicine.kind
    if name is not None:
        medicine.name = name.strip()
    if strength is not None:
        medicine.strength = strength.strip()
    if kind is not None:
        medicine.kind = kind
    if active is not None:
        medicine.active = active
    medicine.full_clean(exclude=["patient"])
    lock_diary(medicine.patient)
    medicine.save()
    if medicine.kind != old_kind:
        flags_refresh(patient=medicine.patient)
    else:
        charts_changed(medicine.patient)
    return medicine


@transaction.atomic
def medicine_delete(*, medicine: Medicine) -> bool:
    """Take a medicine off the list. One with doses in the diary is only marked inactive: the doses keep
    their medicine. Returns whether the row was deleted."""
    lock_diary(medicine.patient)
    if Dose.objects.filter(medicine=medicine).exists():
        medicine.active = False
        medicine.save(update_fields=["active"])
        charts_changed(medicine.patient)
        return False
    medicine.delete()
    charts_changed(medicine.patient)
    return True


@dataclass(frozen=True)
class DoseResult:
    dose: Dose
    created: bool


def dose_create(
    *,
    patient: User,
    client_uuid: UUID,
    medicine_id: int,
    taken_at: datetime,
    amount: str = "",
    reason: str | None = None,
) -> DoseResult:
    """Store a dose once, exactly as checkin_create stores a check-in: the same client_uuid again
    returns the stored dose, another patient's is a conflict, and the flags are re-judged under the
    diary's lock."""
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients keep a diary."]})
    existing = Dose.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return _replayed_dose(existing, patient)
    # id_or_none: a number larger than any row's id is refused as unknown, not sent to the database.
    number = selectors.id_or_none(medicine_id)
    medicine = Medicine.objects.filter(patient=patient, pk=number).first() if number is not None else None
    if medicine is None:
        raise ValidationError({"medicine_id": ["Choose one of your own medicines."]})
    problem = moment_problem(taken_at, now=timezone.now(), what="Doses")
    if problem:
        raise ValidationError({"taken_at": [problem]})
    if reason is None:
        reason = DoseReason.BREAKTHROUGH_PAIN if medicine.kind == MedicineKind.AS_NEEDED else DoseReason.SCHEDULED
    dose = Dose(
        patient=patient, medicine=medicine, client_uuid=client_uuid, taken_at=taken_at, amount=amount, reason=reason
    )
    dose.local_date, dose.part_of_day = local_moment(taken_at, patient.timezone)
    dose.full_clean(exclude=["patient", "medicine", "client_uuid"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            # Date it in the zone the diary has now: a concurrent profile change may have moved it.
            patient.timezone = lock_diary(patient)
            dose.local_date, dose.part_of_day = local_moment(taken_at, patient.timezone)
            dose.save()
            flags_refresh(patient=patient)
    except IntegrityError:
        existing = Dose.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _replayed_dose(existing, patient)
    return DoseResult(dose=dose, created=True)


def _replayed_dose(existing: Dose, patient: User) -> DoseResult:
    if existing.patient_id != patient.pk:
        raise DoseUuidConflict
    return DoseResult(dose=existing, created=False)


@transaction.atomic
def dose_update(*, dose: Dose, relief: str | None) -> Dose:
    """Record how much a dose helped (asked 30–60 minutes after it); the flags read the answer."""
    dose.relief = relief
    dose.full_clean(exclude=["patient", "medicine", "client_uuid"], validate_unique=False)
    lock_diary(dose.patient)
    dose.save(update_fields=["relief", "updated_at"])
    flags_refresh(patient=dose.patient)
    return dose


@transaction.atomic
def dose_delete(*, dose: Dose) -> None:
    patient = dose.patient
    lock_diary(patient)
    dose.delete()
    flags_refresh(patient=patient)
