"""Medicines and doses through the API (API.md 1.1).

Pat keeps a diary in Europe/London; Olive is another patient; Thea is linked to both; Uma is
linked to nobody. See tests/conftest.py.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from diary import flag_policy, medication
from diary.models import Dose, FlagAcknowledgement, Medicine
from tests.conftest import PASSWORD, Api, checkin_body


def medicine_body(**fields: Any) -> dict[str, Any]:
    return {"name": "oxycodone", "strength": "5 mg", "kind": "as_needed", **fields}


def dose_body(medicine_id: int, **fields: Any) -> dict[str, Any]:
    """A dose taken a minute ago, with any field overridden."""
    return {
        "client_uuid": str(uuid4()),
        "medicine_id": medicine_id,
        "taken_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "amount": "1 tablet",
        **fields,
    }


@pytest.fixture
def pat_medicine(patient: Any) -> Medicine:
    return medication.medicine_create(patient=patient, name="oxycodone", strength="5 mg", kind="as_needed")


def test_it_adds_and_lists_a_patients_own_medicines(patient: Any, other_patient: Any) -> None:
    """POST medicines stores it for the caller; GET medicines lists only the caller's own."""
    pat, olive = Api(patient), Api(other_patient)
    created = pat.post("medicines", medicine_body(patient=other_patient.pk))
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "oxycodone",
        "strength": "5 mg",
        "kind": "as_needed",
        "active": True,
        "code": "",
        "created_at": "",
    }
    assert Medicine.objects.get().patient == patient
    assert [m["name"] for m in pat.get("medicines").json()] == ["oxycodone"]
    assert olive.get("medicines").json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (medicine_body(name=""), "name"),
        (medicine_body(name="   "), "name"),
        (medicine_body(name="x" * 101), "name"),
        (medicine_body(strength="x" * 51), "strength"),
        (medicine_body(kind="sometimes"), "kind"),
        ({"strength": "5 mg", "kind": "regular"}, "name"),
    ],
    ids=["empty name", "blank name", "101 characters", "long strength", "unknown kind", "no name"],
)
def test_it_refuses_a_bad_medicine(patient: Any, body: dict[str, Any], field: str) -> None:
    response = Api(patient).post("medicines", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not Medicine.objects.exists()


def test_it_accepts_a_name_of_exactly_100_characters(patient: Any) -> None:
    assert Api(patient).post("medicines", medicine_body(name="x" * 100)).status_code == 201


def test_it_renames_and_stops_a_medicine(patient: Any, pat_medicine: Medicine) -> None:
    response = Api(patient).patch(f"medicines/{pat_medicine.pk}", {"name": "Oxynorm", "active": False})
    assert response.status_code == 200
    pat_medicine.refresh_from_db()
    assert (pat_medicine.name, pat_medicine.active, pat_medicine.kind) == ("Oxynorm", False, "as_needed")


def test_deleting_a_medicine_without_doses_deletes_it(patient: Any, pat_medicine: Medicine) -> None:
    assert Api(patient).delete(f"medicines/{pat_medicine.pk}").status_code == 204
    assert not Medicine.objects.exists()


def test_deleting_a_medicine_with_doses_marks_it_inactive(patient: Any, pat_medicine: Medicine) -> None:
    pat = Api(patient)
    assert pat.post("doses", dose_body(pat_medicine.pk)).status_code == 201
    assert pat.delete(f"medicines/{pat_medicine.pk}").status_code == 204
    assert [(m["id"], m["active"]) for m in pat.get("medicines").json()] == [(pat_medicine.pk, False)]
    assert Dose.objects.get().medicine_id == pat_medicine.pk


def test_a_dose_is_stored_once_per_client_uuid(patient: Any, other_patient: Any, pat_medicine: Medicine) -> None:
    """201 the first time; 200 with the same answer on a replay, creating nothing; 409 from another patient."""
    pat = Api(patient)
    body = dose_body(pat_medicine.pk)
    first = pat.post("doses", body)
    assert first.status_code == 201
    answer = first.json()
    assert answer["reason"] == "breakthrough_pain"
    assert answer["relief"] is None
    assert answer["alerts"] == []
    assert answer["local_date"] and answer["part_of_day"]

    replay = pat.post("doses", body)
    assert replay.status_code == 200
    assert replay.json() == answer
    assert Dose.objects.count() == 1

    olive_medicine = medication.medicine_create(patient=other_patient, name="morphine", kind="as_needed")
    stolen = Api(other_patient).post("doses", {**body, "medicine_id": olive_medicine.pk})
    assert stolen.status_code == 409
    assert str(pat_medicine.pk) not in stolen.content.decode()
    assert Dose.objects.count() == 1


def test_a_dose_answers_the_open_alerts_as_a_checkin_does(patient: Any, pat_medicine: Medicine) -> None:
    Api(patient).post("checkins", checkin_body(symptoms=["blood_in_urine"]))
    answer = Api(patient).post("doses", dose_body(pat_medicine.pk)).json()
    assert [alert["code"] for alert in answer["alerts"]] == ["blood_in_stool_or_urine"]
    assert answer["alerts"][0]["new"] is False


def test_a_regular_medicines_dose_is_scheduled_by_default(patient: Any) -> None:
    regular = medication.medicine_create(patient=patient, name="paracetamol", strength="1 g", kind="regular")
    assert Api(patient).post("doses", dose_body(regular.pk)).json()["reason"] == "scheduled"


def test_it_refuses_another_patients_medicine(patient: Any, other_patient: Any) -> None:
    """medicine_id must be one of the caller's own: another patient's is 400, like one that does not exist."""
    olive_medicine = medication.medicine_create(patient=other_patient, name="morphine", kind="as_needed")
    pat = Api(patient)
    theirs = pat.post("doses", dose_body(olive_medicine.pk))
    missing = pat.post("doses", dose_body(olive_medicine.pk + 1000))
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json() == missing.json()
    assert "medicine_id" in theirs.json()
    assert not Dose.objects.exists()


def _ago(**delta: Any) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (lambda: {"taken_at": timezone.now().replace(tzinfo=None).isoformat()}, "taken_at"),
        (lambda: {"taken_at": (timezone.now() + timedelta(minutes=10)).isoformat()}, "taken_at"),
        (lambda: {"taken_at": _ago(days=400)}, "taken_at"),
        (lambda: {"reason": "fun"}, "reason"),
        (lambda: {"amount": "x" * 51}, "amount"),
        (lambda: {"medicine_id": "7"}, "medicine_id"),
        (lambda: {"client_uuid": "not-a-uuid"}, "client_uuid"),
    ],
    ids=["no offset", "10 minutes ahead", "400 days ago", "unknown reason", "long amount", "id as text", "bad uuid"],
)
def test_it_refuses_a_bad_dose(patient: Any, pat_medicine: Medicine, fields: Any, field: str) -> None:
    """taken_at follows recorded_at's rules (offset, 5 minutes ahead at most, a year old at most); codes are known."""
    response = Api(patient).post("doses", {**dose_body(pat_medicine.pk), **fields()})
    assert response.status_code == 400
    assert field in response.json()
    assert not Dose.objects.exists()


def test_it_records_relief_and_refuses_an_answer_not_in_the_list(patient: Any, pat_medicine: Medicine) -> None:
    pat = Api(patient)
    dose_id = pat.post("doses", dose_body(pat_medicine.pk)).json()["id"]
    assert pat.patch(f"doses/{dose_id}", {"relief": "lots"}).status_code == 400
    assert Dose.objects.get().relief is None
    response = pat.patch(f"doses/{dose_id}", {"relief": "good"})
    assert response.status_code == 200
    assert response.json()["relief"] == "good"
    assert Dose.objects.get().relief == "good"


def test_it_dates_a_dose_in_the_patients_zone_and_redates_it_when_the_zone_changes(
    patient: Any, pat_medicine: Medicine
) -> None:
    """23:50 in Auckland is that local date, late evening; moving to London moves it."""
    pat = Api(patient)
    pat.patch("me", {"timezone": "Pacific/Auckland"})
    moment = timezone.now().astimezone(ZoneInfo("Pacific/Auckland")) - timedelta(days=2)
    moment = moment.replace(hour=23, minute=50, second=0, microsecond=0)
    answer = pat.post("doses", dose_body(pat_medicine.pk, taken_at=moment.isoformat())).json()
    assert (answer["local_date"], answer["part_of_day"]) == (moment.date().isoformat(), "evening")
    pat.patch("me", {"timezone": "Europe/London"})
    dose = Dose.objects.get()
    assert dose.local_date == moment.astimezone(ZoneInfo("Europe/London")).date()
    assert dose.part_of_day in ("morning", "afternoon")


def test_it_lists_doses_newest_first_paginated_and_by_date(patient: Any, pat_medicine: Medicine) -> None:
    pat = Api(patient)
    for days in (3, 1, 2):
        pat.post("doses", dose_body(pat_medicine.pk, taken_at=_ago(days=days)))
    page = pat.get("doses").json()
    assert page["count"] == 3 and page["next"] is None
    dates = [row["local_date"] for row in page["results"]]
    assert dates == sorted(dates, reverse=True)
    assert pat.get("doses", page_size="1").json()["next"]
    since = (timezone.now() - timedelta(days=2)).date().isoformat()
    assert all(row["local_date"] >= since for row in pat.get("doses", since=since).json()["results"])


def test_a_patient_reads_and_deletes_only_their_own_doses(
    patient: Any, other_patient: Any, pat_medicine: Medicine
) -> None:
    dose_id = Api(patient).post("doses", dose_body(pat_medicine.pk)).json()["id"]
    olive = Api(other_patient)
    assert olive.get(f"doses/{dose_id}").status_code == 404
    assert olive.delete(f"doses/{dose_id}").status_code == 404
    assert olive.patch(f"doses/{dose_id}", {"relief": "none"}).status_code == 404
    assert olive.patch(f"medicines/{pat_medicine.pk}", {"name": "mine"}).status_code == 404
    assert Api(patient).get(f"doses/{dose_id}").json()["medicine"]["name"] == "oxycodone"
    assert Api(patient).delete(f"doses/{dose_id}").status_code == 204
    assert not Dose.objects.exists()


def test_a_linked_therapist_reads_medicines_and_doses(patient: Any, therapist: Any, pat_medicine: Medicine) -> None:
    Api(patient).post("doses", dose_body(pat_medicine.pk))
    thea = Api(therapist)
    assert [m["name"] for m in thea.get(f"patients/{patient.pk}/medicines").json()] == ["oxycodone"]
    assert thea.get(f"patients/{patient.pk}/doses").json()["count"] == 1


def test_an_unlinked_therapist_gets_404_for_a_patients_doses(
    patient: Any, unlinked_therapist: Any, pat_medicine: Medicine
) -> None:
    """patients/{id}/doses is 404 for a therapist not linked to the patient, exactly like a missing patient."""
    Api(patient).post("doses", dose_body(pat_medicine.pk))
    uma = Api(unlinked_therapist)
    for route in ("doses", "medicines"):
        theirs = uma.get(f"patients/{patient.pk}/{route}")
        nothing = uma.get(f"patients/{patient.pk + 1000}/{route}")
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()


def test_erasing_the_account_erases_medicines_and_doses(patient: Any, pat_medicine: Medicine) -> None:
    """DELETE me takes the medicines and the doses with the account (the dose's RESTRICT does not stop it)."""
    pat = Api(patient)
    pat.post("doses", dose_body(pat_medicine.pk))
    assert pat.delete("me", {"password": PASSWORD}).status_code == 204
    assert not Medicine.objects.exists()
    assert not Dose.objects.exists()


def test_trends_rows_count_as_needed_doses_and_leave_unknown_days_null(patient: Any, pat_medicine: Medicine) -> None:
    """as_needed_doses: the date's count; 0 on a date with a record but no as-needed dose; null on a date with none."""
    pat = Api(patient)
    regular = medication.medicine_create(patient=patient, name="paracetamol", strength="1 g", kind="regular")
    pat.post("doses", dose_body(pat_medicine.pk, taken_at=_ago(days=1)))
    pat.post("doses", dose_body(pat_medicine.pk, taken_at=_ago(days=1, minutes=5)))
    pat.post("doses", dose_body(regular.pk, taken_at=_ago(days=2)))
    pat.post("checkins", checkin_body(recorded_at=_ago(days=3)))
    rows = {row["date"]: row for row in pat.get("trends", days="7").json()["days"]}
    zone = ZoneInfo(patient.timezone)

    def on(**delta: Any) -> dict[str, Any]:
        return rows[(timezone.now() - timedelta(**delta)).astimezone(zone).date().isoformat()]

    assert on(days=1)["as_needed_doses"] == 2
    assert on(days=2)["as_needed_doses"] == 0
    assert on(days=3)["as_needed_doses"] == 0
    assert on(days=5)["as_needed_doses"] is None


def test_a_dose_re_judges_the_stored_flags(patient: Any, therapist: Any, pat_medicine: Medicine) -> None:
    """Four as-needed doses on each of two days raise rescue_doses_high at once, for patient and therapist."""
    pat = Api(patient)
    for days in (0, 1):
        for minutes in range(4):
            taken = timezone.now() - timedelta(days=days, minutes=2 + minutes)
            pat.post("doses", dose_body(pat_medicine.pk, taken_at=taken.isoformat()))
    # Both days must be local dates of their own, whatever the clock says now.
    if len({d.local_date for d in Dose.objects.all()}) < 2:
        pytest.skip("the doses fell on one local date")
    flags = pat.get("flags").json()["flags"]
    assert [f["code"] for f in flags] == ["rescue_doses_high"]
    assert sorted(flags[0]["evidence"]["dose_ids"]) == sorted(Dose.objects.values_list("id", flat=True))
    therapist_view = Api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"]
    assert therapist_view[0]["clinician_detail"] == "4 as-needed doses on 2 of the last 3 days (oxycodone 5 mg)"
    # Taking one back below 4 on a day quiets the flag.
    pat.delete(f"doses/{Dose.objects.order_by('id').first().pk}")
    assert pat.get("flags").json()["flags"] == []


def test_the_exports_include_medicines_and_doses(patient: Any, pat_medicine: Medicine) -> None:
    """JSON has both lists; the CSV has a row per medicine and dose, free text made inert for spreadsheets."""
    pat = Api(patient)
    formula = medication.medicine_create(patient=patient, name="=HYPERLINK(1)", kind="regular")
    pat.post("checkins", checkin_body())
    dose = pat.post("doses", dose_body(pat_medicine.pk, amount="+2 tablets")).json()
    pat.patch(f"doses/{dose['id']}", {"relief": "some"})

    document = pat.get("export", format="json").json()
    assert {m["name"] for m in document["medicines"]} == {"oxycodone", "=HYPERLINK(1)"}
    [exported] = document["doses"]
    assert (exported["id"], exported["medicine"], exported["relief"], exported["amount"]) == (
        dose["id"],
        "oxycodone",
        "some",
        "+2 tablets",
    )
    assert exported["taken_at"] == dose["taken_at"]

    rows = list(csv.DictReader(io.StringIO(pat.get("export", format="csv").content.decode())))
    assert [row["record"] for row in rows] == ["checkin", "medicine", "medicine", "dose"]
    by_record = {(row["record"], row["id"]): row for row in rows}
    assert by_record[("medicine", str(formula.pk))]["medicine"] == "'=HYPERLINK(1)"
    dose_row = by_record[("dose", str(dose["id"]))]
    assert (dose_row["amount"], dose_row["relief"], dose_row["kind"]) == ("'+2 tablets", "some", "as_needed")


def test_the_fhir_export_has_one_medication_statement_per_dose(patient: Any, pat_medicine: Medicine) -> None:
    """MedicationStatement: completed, the medicine in words, the local time, the dosage, told by the patient."""
    pat = Api(patient)
    pat.post("checkins", checkin_body())
    taken_at = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    for minutes in (0, 10):
        pat.post("doses", dose_body(pat_medicine.pk, taken_at=(taken_at + timedelta(minutes=minutes)).isoformat()))
    response = pat.get("export", format="fhir")
    bundle = Bundle.model_validate(response.json())
    statements = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "MedicationStatement"]
    assert len(statements) == 2
    patient_ref = next(e.fullUrl for e in bundle.entry if e.resource.get_resource_type() == "Patient")
    for statement in statements:
        assert statement.status == "completed"
        assert statement.medicationCodeableConcept.text == "oxycodone 5 mg"
        assert statement.informationSource.reference == patient_ref
        assert statement.subject.reference == patient_ref
        assert statement.dosage[0].text == "1 tablet, breakthrough pain"
    raw = [e["resource"] for e in response.json()["entry"] if e["resource"]["resourceType"] == "MedicationStatement"]
    assert raw[0]["effectiveDateTime"] == taken_at.astimezone(ZoneInfo("Europe/London")).isoformat()


# --- acknowledging a medicine flag (CLINICAL.md 1.1 "Alerts that stay meaningful") ----------------------------

# Noon in London in March (GMT), so that each dose's local date is the date written.
ACK_NOON = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def high_days(patient: Any, medicine: Medicine, *days: int, count: int = 4) -> None:
    """`count` as-needed doses on each of these dates of March 2026, from 08:00 (a day with a record each)."""
    for day in days:
        for hour in range(count):
            taken = datetime(2026, 3, day, 8 + hour, 0, tzinfo=UTC)
            with time_machine.travel(taken + timedelta(minutes=1), tick=False):
                medication.dose_create(patient=patient, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=taken)


def rescue_flag(reader: Any, patient: Any) -> dict[str, Any]:
    path = "flags" if reader == patient else f"patients/{patient.pk}/flags"
    return next(flag for flag in Api(reader).get(path).json()["flags"] if flag["code"] == "rescue_doses_high")


def acknowledge_high(therapist: Any, patient: Any) -> Any:
    return Api(therapist).post(f"patients/{patient.pk}/flags/rescue_doses_high/acknowledge", {"note": "Called GP."})


def test_a_medicine_flag_can_be_acknowledged_and_remembers_its_doses(
    patient: Any, therapist: Any, pat_medicine: Medicine
) -> None:
    """Its check-ins are none: the acknowledgement keeps the doses it saw instead (before: a 400)."""
    high_days(patient, pat_medicine, 18, 19)
    with time_machine.travel(ACK_NOON, tick=False):
        response = acknowledge_high(therapist, patient)
        assert response.status_code == 200, response.content
        assert response.json()["acknowledged"]["by"]["id"] == therapist.pk
        assert rescue_flag(patient, patient)["acknowledged"] is not None
    ack = FlagAcknowledgement.objects.get()
    assert ack.checkin_ids == []
    assert ack.dose_ids == sorted(Dose.objects.values_list("id", flat=True)) and len(ack.dose_ids) == 8


def test_more_doses_in_the_same_pattern_leave_it_acknowledged_until_the_follow_up_date(
    patient: Any, therapist: Any, pat_medicine: Medicine
) -> None:
    """New dose ids are not news by themselves (CLINICAL.md 1.1): the flag stays acknowledged, for both
    sides, through the follow-up date (a week), and is raised again the day after it while it holds."""
    high_days(patient, pat_medicine, 18, 19)
    with time_machine.travel(ACK_NOON, tick=False):
        assert acknowledge_high(therapist, patient).status_code == 200
    high_days(patient, pat_medicine, 20, count=6)
    high_days(patient, pat_medicine, *range(21, 29))
    with time_machine.travel(ACK_NOON, tick=False):
        flag = rescue_flag(therapist, patient)
        assert flag["acknowledged"] is not None and len(flag["evidence"]["dose_ids"]) > 8
    with time_machine.travel(datetime(2026, 3, 27, 20, 0, tzinfo=UTC), tick=False):
        assert rescue_flag(therapist, patient)["acknowledged"] is not None
        assert rescue_flag(patient, patient)["acknowledged"] is not None
    with time_machine.travel(datetime(2026, 3, 28, 20, 0, tzinfo=UTC), tick=False):
        assert rescue_flag(therapist, patient)["acknowledged"] is None
        assert rescue_flag(patient, patient)["acknowledged"] is None


def test_a_pattern_that_ended_and_began_again_is_raised_again(
    patient: Any, therapist: Any, pat_medicine: Medicine
) -> None:
    """Three days with no record end the run; two high days after it are a new run, before the follow-up date."""
    high_days(patient, pat_medicine, 18, 19)
    with time_machine.travel(ACK_NOON, tick=False):
        assert acknowledge_high(therapist, patient).status_code == 200
    high_days(patient, pat_medicine, 24, 25)
    with time_machine.travel(datetime(2026, 3, 25, 20, 0, tzinfo=UTC), tick=False):
        flag = rescue_flag(therapist, patient)
        assert flag["since"] == "2026-03-25"
        assert flag["acknowledged"] is None


def test_an_acknowledgement_from_before_follow_up_dates_covers_exactly_its_doses() -> None:
    """The pure policy, for an acknowledgement with no follow-up date (made before version 1.1): it
    covers the doses it saw, and a dose it did not see raises the flag again."""
    ack = flag_policy.Acknowledged(
        seen=flag_policy.Seen(level="review"), on=date(2026, 3, 20), follow_up_on=None, dose_ids=frozenset({1, 2})
    )

    def flag(*dose_ids: int) -> dict[str, Any]:
        return {"level": "review", "since": "2026-03-19", "evidence": {"checkin_ids": [], "dose_ids": list(dose_ids)}}

    assert flag_policy.still_covers(ack, flag(1, 2), date(2026, 3, 20))
    assert not flag_policy.still_covers(ack, flag(1, 2, 3), date(2026, 3, 20))
