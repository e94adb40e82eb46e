"""A patient's diary as CSV, JSON or a FHIR R4 Bundle."""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from diary import audit
from diary.models import CHECKIN_FIELDS, AuditEvent, CheckIn, Dose, Medicine, MedicineKind, Symptom, User

# Who the file is about, on every row (a leading comment block would break CSV readers); then one
# table for the whole diary, a row per record: "record" says whether a row is a check-in, a
# medicine or a dose (API.md 1.1), and each fills the columns it has. Every field of a check-in
# comes last, after the ones the server adds and the medicine's and dose's own.
MEDICINE_COLUMNS = ["medicine_id", "medicine", "strength", "kind", "active"]
DOSE_COLUMNS = ["taken_at", "amount", "reason", "relief"]
CSV_COLUMNS = [
    "patient_id",
    "patient_name",
    "record",
    "id",
    "client_uuid",
    "recorded_at",
    "local_date",
    "part_of_day",
    *MEDICINE_COLUMNS,
    *DOSE_COLUMNS,
    *CHECKIN_FIELDS[1:],
]

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula.

    Spreadsheets skip leading spaces and line breaks, and some read the full-width and small
    forms (＝ ＋ － ＠, ﹦ …) as the ASCII ones, so the first character after the whitespace is
    checked in its compatibility form (NFKC) too.
    """
    if text.startswith(_FORMULA_STARTS):
        return True
    rest = text.lstrip()
    return bool(rest) and unicodedata.normalize("NFKC", rest[0]).startswith(_FORMULA_STARTS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    text = str(value)
    if _starts_a_formula(text):
        return "'" + text
    return text


def checkin_row(checkin: CheckIn, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": checkin.pk,
        "client_uuid": str(checkin.client_uuid),
        "recorded_at": checkin.recorded_at.astimezone(zone).isoformat(),
        "local_date": checkin.local_date.isoformat(),
        "part_of_day": checkin.part_of_day,
        "pain": checkin.pain,
        "pain_locations": list(checkin.pain_locations),
        "movement_effect": checkin.movement_effect,
        "fatigue": checkin.fatigue,
        "rest_helped": checkin.rest_helped,
        "sleep_hours": checkin.sleep_hours,
        "woke_from_pain": checkin.woke_from_pain,
        "weight_kg": checkin.weight_kg,
        "exercise_minutes": checkin.exercise_minutes,
        "symptoms": list(checkin.symptoms),
        "notes": checkin.notes,
    }


def medicine_row(medicine: Medicine) -> dict[str, Any]:
    return {
        "id": medicine.pk,
        "name": medicine.name,
        "strength": medicine.strength,
        "kind": medicine.kind,
        "active": medicine.active,
        "code": medicine.code,
        "created_at": medicine.created_at.isoformat(),
    }


def dose_row(dose: Dose, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": dose.pk,
        "client_uuid": str(dose.client_uuid),
        "medicine_id": dose.medicine_id,
        "medicine": dose.medicine.name,
        "strength": dose.medicine.strength,
        "kind": dose.medicine.kind,
        "taken_at": dose.taken_at.astimezone(zone).isoformat(),
        "local_date": dose.local_date.isoformat(),
        "part_of_day": dose.part_of_day,
        "amount": dose.amount,
        "reason": dose.reason,
        "relief": dose.relief,
    }


def as_csv(
    patient: User, checkins: Iterable[CheckIn], medicines: Iterable[Medicine] = (), doses: Iterable[Dose] = ()
) -> str:
    zone = ZoneInfo(patient.timezone)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    rows: list[dict[str, Any]] = [{"record": "checkin", **checkin_row(checkin, zone)} for checkin in checkins]
    for medicine in medicines:
        row = medicine_row(medicine)
        rows.append(
            {
                "record": "medicine",
                "id": row["id"],
                "medicine_id": row["id"],
                "medicine": row["name"],
                **{key: row[key] for key in ("strength", "kind", "active")},
            }
        )
    rows += [{"record": "dose", **dose_row(dose, zone)} for dose in doses]
    who = {"patient_id": patient.pk, "patient_name": patient.display_name}
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in {**who, **row}.items()})
    return out.getvalue()


def content_disposition(patient: User, suffix: str, on: date) -> str:
    """A download named for whom and when: `diary-<name>-<id>-<date>.<suffix>` (RFC 6266).

    Files of several patients in one Downloads folder must not all be `diary.csv`. The plain
    `filename` is ASCII (accents dropped, "patient" when no letter is left); where the chosen name
    has more than ASCII can say, `filename*` carries it as written, UTF-8 and percent-encoded. Only
    the display name goes in, never the email, which may be all a patient without one has.
    """
    ascii_name = slugify(patient.display_name) or "patient"
    header = f'attachment; filename="diary-{ascii_name}-{patient.pk}-{on.isoformat()}.{suffix}"'
    unicode_name = slugify(patient.display_name, allow_unicode=True)
    if unicode_name and unicode_name != ascii_name:
        header += f"; filename*=UTF-8''{quote(f'diary-{unicode_name}-{patient.pk}-{on.isoformat()}.{suffix}')}"
    return header


def as_json(
    patient: User, checkins: Iterable[CheckIn], medicines: Iterable[Medicine] = (), doses: Iterable[Dose] = ()
) -> dict[str, Any]:
    zone = ZoneInfo(patient.timezone)
    return {
        "patient": {
            "id": patient.pk,
            "display_name": patient.display_name,
            "timezone": patient.timezone,
            "therapy_started_on": patient.therapy_started_on.isoformat() if patient.therapy_started_on else None,
        },
        "checkins": [checkin_row(checkin, zone) for checkin in checkins],
        "medicines": [medicine_row(medicine) for medicine in medicines],
        "doses": [dose_row(dose, zone) for dose in doses],
    }


def access_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Who has seen the diary, for the patient's own export: the same record as their page shows."""
    events = list(events)
    names = audit.names_of(events)
    return [
        {
            "at": event.at.isoformat(),
            "who": audit.who(event, names) or None,
            "role": event.actor_role or None,
            "what": event.action,
            "object_id": event.object_id,
            "from": event.ip,
            "allowed": event.allowed,
        }
        for event in events
    ]


LOINC = "http://loinc.org"
PAIN_CODE = {
    "coding": [
        {"system": LOINC, "code": "72514-3", "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
    ],
    "text": "Pain right now (0-10)",
}
SLEEP_CODE = {
    "coding": [{"system": LOINC, "code": "93832-4", "display": "Sleep duration"}],
    "text": "Hours slept last night",
}
WEIGHT_CODE = {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}], "text": "Body weight"}
FATIGUE_CODE = {"text": "Tiredness right now (0-10)"}
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _observation(
    patient_ref: str, checkin: CheckIn, zone: ZoneInfo, code: dict[str, Any], value: dict[str, Any], category: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": code,
        "subject": {"reference": patient_ref},
        "effectiveDateTime": checkin.recorded_at.astimezone(zone).isoformat(),
        **value,
    }


def _score(value: int) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def _dosage_text(dose: Dose) -> str:
    """ "1 tablet, breakthrough pain; relief: good" — the dose as the patient logged it."""
    parts = [dose.amount] if dose.amount else []
    parts.append(dose.get_reason_display().lower())
    text = ", ".join(parts)
    return f"{text}; relief: {dose.relief}" if dose.relief else text


def _medication_statement(patient_ref: str, dose: Dose, zone: ZoneInfo) -> dict[str, Any]:
    """One dose taken, told by the patient: a completed MedicationStatement."""
    return {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "medicationCodeableConcept": {"text": dose.medicine.label},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": dose.taken_at.astimezone(zone).isoformat(),
        "informationSource": {"reference": patient_ref},
        "dosage": [
            {"text": _dosage_text(dose), "asNeededBoolean": dose.medicine.kind == MedicineKind.AS_NEEDED},
        ],
    }


def as_fhir(patient: User, checkins: Iterable[CheckIn], doses: Iterable[Dose] = ()) -> dict[str, Any]:
    """An R4 Bundle (type collection): the Patient, one Observation per reported measure, and one
    MedicationStatement per dose."""
    zone = ZoneInfo(patient.timezone)
    patient_ref = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'diary-patient-{patient.pk}')}"
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_ref,
            "resource": {"resourceType": "Patient", "name": [{"text": patient.name}]},
        }
    ]
    labels = dict(Symptom.choices)
    for checkin in checkins:
        observation = partial(_observation, patient_ref, checkin, zone)
        observations = []
        if checkin.pain is not None:
            observations.append(observation(PAIN_CODE, _score(checkin.pain), "survey"))
        if checkin.fatigue is not None:
            observations.append(observation(FATIGUE_CODE, _score(checkin.fatigue), "survey"))
        if checkin.sleep_hours is not None:
            observations.append(observation(SLEEP_CODE, _quantity(checkin.sleep_hours, "h"), "survey"))
        if checkin.weight_kg is not None:
            observations.append(observation(WEIGHT_CODE, _quantity(checkin.weight_kg, "kg"), "vital-signs"))
        for symptom in checkin.symptoms:
            observations.append(observation({"text": labels.get(symptom, symptom)}, {"valueBoolean": True}, "survey"))
        for index, resource in enumerate(observations):
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(checkin.client_uuid, str(index))}", "resource": resource})
    for dose in doses:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid5(dose.client_uuid, 'dose')}",
                "resource": _medication_statement(patient_ref, dose, zone),
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
