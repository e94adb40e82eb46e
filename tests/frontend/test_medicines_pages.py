"""The patient's medicine pages: the list in settings (add, rename, stop, take again) as plain forms,
and logging a pain reliever from the check-in page, with "Did it help?" asked later.

Pat is a patient and Olive another (tests/conftest.py); Thea is Pat's therapist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.utils import timezone

from diary import medication
from diary.models import Dose, Medicine
from tests.conftest import signed_in
from tests.frontend.pages import hidden_inputs, status_messages, submit, text

# --- the list in settings ----------------------------------------------------


def test_settings_links_patients_to_their_medicines(patient: Any, therapist: Any) -> None:
    """Patients find the list from settings; therapists keep no list."""
    assert 'href="/settings/medicines"' in text(signed_in(patient).get("/settings"))
    assert 'href="/settings/medicines"' not in text(signed_in(therapist).get("/settings"))


def test_it_adds_a_medicine_from_the_plain_form(patient: Any) -> None:
    """Name, strength and kind through the service; the list then shows it."""
    client = signed_in(patient)
    response = submit(client, "/settings/medicines", {"name": "  Oxycodone ", "strength": "5 mg", "kind": "as_needed"})
    assert response.status_code == 302
    assert response["Location"] == "/settings/medicines"
    medicine = Medicine.objects.get(patient=patient)
    assert (medicine.name, medicine.strength, medicine.kind, medicine.active) == (
        "Oxycodone",
        "5 mg",
        "as_needed",
        True,
    )
    page = client.get("/settings/medicines")
    assert "Oxycodone 5 mg added to your medicines." in status_messages(page)
    assert "<h2>Oxycodone 5 mg</h2>" in text(page)
    assert "When I need it (for pain)" in text(page)


def test_it_says_in_words_what_is_wrong_with_a_new_medicine(patient: Any) -> None:
    """An empty name, a name too long, no kind: each said in words, next to its field, nothing stored."""
    client = signed_in(patient)
    response = submit(client, "/settings/medicines", {"name": "", "strength": "x" * 51})
    page = text(response)
    assert response.status_code == 200
    assert "Please check these 3 things" in page
    assert "Write the medicine&#x27;s name." in page
    assert "Keep the strength to 50 characters or fewer." in page
    assert "Choose how you take it: on a schedule, or when you need it." in page
    response = submit(client, "/settings/medicines", {"name": "x" * 101, "kind": "regular"})
    assert "Keep the name to 100 characters or fewer." in text(response)
    response = submit(client, "/settings/medicines", {"name": "Paracetamol", "kind": "sometimes"})
    assert "Choose how you take it" in text(response)
    assert not Medicine.objects.exists()


def test_the_add_form_is_labelled_and_grouped(patient: Any) -> None:
    """Every input has a label; the kind is a fieldset of two radios with a legend."""
    page = text(signed_in(patient).get("/settings/medicines"))
    assert '<label for="id_name">Name</label>' in page
    assert '<label for="id_strength">Strength (optional)</label>' in page
    assert "<legend>How you take it</legend>" in page
    assert 'name="kind" value="regular"' in page and 'name="kind" value="as_needed"' in page


def test_it_renames_a_medicine(patient: Any) -> None:
    """Its own form, with its own field names: a new name and strength; the kind stays."""
    medicine = medication.medicine_create(patient=patient, name="Oxycodon", strength="5", kind="as_needed")
    client = signed_in(patient)
    prefix = f"medicine-{medicine.pk}"
    response = submit(
        client,
        f"/settings/medicines/{medicine.pk}",
        {f"{prefix}-name": "Oxycodone", f"{prefix}-strength": "5 mg"},
        form_page="/settings/medicines",
    )
    assert response.status_code == 302
    medicine.refresh_from_db()
    assert (medicine.name, medicine.strength, medicine.kind) == ("Oxycodone", "5 mg", "as_needed")
    assert "Saved: Oxycodone 5 mg." in status_messages(client.get("/settings/medicines"))


def test_a_rename_without_a_name_is_refused_in_words_beside_that_medicine(patient: Any) -> None:
    medicine = medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    client = signed_in(patient)
    prefix = f"medicine-{medicine.pk}"
    response = submit(
        client, f"/settings/medicines/{medicine.pk}", {f"{prefix}-name": " "}, form_page="/settings/medicines"
    )
    page = text(response)
    assert response.status_code == 200
    assert "Write the medicine&#x27;s name." in page
    assert f'href="#id_{prefix}-name"' in page
    assert "<details open>" in page
    medicine.refresh_from_db()
    assert medicine.name == "Oxycodone"


def test_it_marks_a_medicine_stopped_and_taken_again(patient: Any) -> None:
    """Stopped stays on the list (its doses stay in the diary), and can be taken again."""
    medicine = medication.medicine_create(patient=patient, name="Morphine", strength="10 mg", kind="as_needed")
    client = signed_in(patient)
    url = f"/settings/medicines/{medicine.pk}/active"
    response = submit(client, url, {"active": "0"}, form_page="/settings/medicines")
    assert response["Location"] == f"/settings/medicines#medicine-{medicine.pk}"
    medicine.refresh_from_db()
    assert medicine.active is False
    page = client.get("/settings/medicines")
    assert "Morphine 10 mg is marked as stopped." in status_messages(page)
    assert "<strong>Stopped</strong>" in text(page)
    assert "I take it again" in text(page)
    submit(client, url, {"active": "1"}, form_page="/settings/medicines")
    medicine.refresh_from_db()
    assert medicine.active is True


def test_another_patients_medicine_is_not_found(patient: Any, other_patient: Any) -> None:
    """Olive cannot rename or stop Pat's medicine: 404, and it is unchanged."""
    medicine = medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    client = signed_in(other_patient)
    prefix = f"medicine-{medicine.pk}"
    assert (
        submit(
            client, f"/settings/medicines/{medicine.pk}", {f"{prefix}-name": "Mine"}, form_page="/settings/medicines"
        ).status_code
        == 404
    )
    assert (
        submit(
            client, f"/settings/medicines/{medicine.pk}/active", {"active": "0"}, form_page="/settings/medicines"
        ).status_code
        == 404
    )
    medicine.refresh_from_db()
    assert (medicine.name, medicine.active) == ("Oxycodone", True)


def test_the_list_is_read_in_a_fixed_number_of_queries(patient: Any, django_assert_max_num_queries: Any) -> None:
    for number in range(5):
        medication.medicine_create(patient=patient, name=f"Medicine {number}", kind="regular")
    client = signed_in(patient)
    client.get("/settings/medicines")
    with django_assert_max_num_queries(12):
        client.get("/settings/medicines")


# --- "I took a pain reliever" on the check-in page ------------------------------------------------


def test_the_check_in_page_offers_a_dose_only_with_an_as_needed_medicine(patient: Any) -> None:
    """No button without an active as-needed medicine; with one, it is chosen already."""
    client = signed_in(patient)
    assert "I took a pain reliever" not in text(client.get("/"))
    medication.medicine_create(patient=patient, name="Paracetamol", kind="regular")
    stopped = medication.medicine_create(patient=patient, name="Morphine", kind="as_needed")
    medication.medicine_update(medicine=stopped, active=False)
    assert "I took a pain reliever" not in text(client.get("/"))
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", strength="5 mg", kind="as_needed")
    page = text(client.get("/"))
    assert "<summary>I took a pain reliever</summary>" in page
    assert f'name="medicine_id" value="{oxycodone.pk}" id="dose_medicine_id_0" required checked>' in page
    assert "Paracetamol" not in page and "Morphine" not in page
    assert "frontend/doses" in page


def test_a_dose_logged_without_javascript_is_stored_once(patient: Any) -> None:
    """The plain form: the only medicine chosen already, Save; pressing Save twice stores one dose."""
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", strength="5 mg", kind="as_needed")
    client = signed_in(patient)
    page = client.get("/")
    fields = {**hidden_inputs(page), "medicine_id": str(oxycodone.pk)}
    first = client.post("/doses", fields)
    again = client.post("/doses", fields)
    assert (first.status_code, again.status_code) == (302, 302)
    dose = Dose.objects.get(patient=patient)
    assert (dose.medicine, dose.reason, dose.relief) == (oxycodone, "breakthrough_pain", None)
    assert "Saved: Oxycodone 5 mg at" in status_messages(client.get("/"))


def test_a_dose_earlier_is_read_on_the_diarys_clock(patient: Any) -> None:
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    client = signed_in(patient)
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        response = submit(
            client, "/doses", {"medicine_id": str(oxycodone.pk), "taken_at": "2026-03-02T10:15"}, form_page="/"
        )
    assert response.status_code == 302
    assert Dose.objects.get().taken_at == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)  # London in March is UTC


def test_a_dose_form_with_problems_says_them_in_words(patient: Any, other_patient: Any) -> None:
    """No medicine, another patient's medicine, a time ahead: each said, nothing stored."""
    medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    medication.medicine_create(patient=patient, name="Morphine", kind="as_needed")
    olives = medication.medicine_create(patient=other_patient, name="Olive's", kind="as_needed")
    client = signed_in(patient)
    response = submit(client, "/doses", {}, form_page="/")
    assert response.status_code == 200
    assert "Choose the medicine you took." in text(response)
    assert '<details class="card dose-log" open>' in text(response)
    response = submit(client, "/doses", {"medicine_id": str(olives.pk)}, form_page="/")
    assert "Choose one of your own medicines." in text(response)
    medicine = Medicine.objects.get(name="Oxycodone")
    response = submit(
        client, "/doses", {"medicine_id": str(medicine.pk), "taken_at": "2099-01-01T10:00"}, form_page="/"
    )
    assert "later than now" in text(response)
    assert not Dose.objects.exists()


# --- "Did the <medicine> help?" ---------------------------------------------------------------


def test_the_relief_question_comes_30_minutes_after_a_dose_and_one_tap_answers_it(patient: Any) -> None:
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", strength="5 mg", kind="as_needed")
    taken = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    with time_machine.travel(taken, tick=False):
        dose = medication.dose_create(
            patient=patient, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=taken
        ).dose
    client = signed_in(patient)
    with time_machine.travel(taken + timedelta(minutes=29), tick=False):
        assert "Did the Oxycodone help?" not in text(client.get("/"))
    with time_machine.travel(taken + timedelta(minutes=40), tick=False):
        page = client.get("/")
        assert '<h2 id="relief-title">Did the Oxycodone help?</h2>' in text(page)
        assert "The dose you took at 14:00." in text(page)
        for value in ("none", "some", "good", "complete"):
            assert f'name="relief" value="{value}"' in text(page)
        response = client.post(f"/doses/{dose.pk}/relief", {**hidden_inputs(page), "relief": "good"})
        assert response["Location"] == "/"
        dose.refresh_from_db()
        assert dose.relief == "good"
        page = client.get("/")
        assert "Thank you. Saved for Oxycodone 5 mg: quite a lot." in status_messages(page)
        assert "Did the Oxycodone help?" not in text(page)


def test_the_relief_question_is_not_asked_about_old_or_regular_doses(patient: Any) -> None:
    """More than 12 hours ago is too long to remember; a scheduled medicine is not taken for pain."""
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    regular = medication.medicine_create(patient=patient, name="Paracetamol", kind="regular")
    now = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        medication.dose_create(
            patient=patient, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=now - timedelta(hours=13)
        )
        medication.dose_create(
            patient=patient, client_uuid=uuid4(), medicine_id=regular.pk, taken_at=now - timedelta(hours=1)
        )
        page = text(signed_in(patient).get("/"))
    assert "relief-title" not in page


def test_the_relief_answer_must_be_one_of_four_and_the_patients_own(patient: Any, other_patient: Any) -> None:
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", kind="as_needed")
    dose = medication.dose_create(
        patient=patient, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=timezone.now() - timedelta(hours=1)
    ).dose
    response = submit(signed_in(patient), f"/doses/{dose.pk}/relief", {"relief": "lots"}, form_page="/")
    assert response.status_code == 302
    olive = signed_in(other_patient)
    assert submit(olive, f"/doses/{dose.pk}/relief", {"relief": "none"}, form_page="/").status_code == 404
    dose.refresh_from_db()
    assert dose.relief is None


def test_the_therapist_acknowledges_a_medicine_flag_on_the_patients_page(patient: Any, therapist: Any) -> None:
    """The form on Thea's page of Pat is taken (it answered with an error while acknowledgements kept
    check-ins only), and a further dose the next hour leaves the flag acknowledged."""
    oxycodone = medication.medicine_create(patient=patient, name="Oxycodone", strength="5 mg", kind="as_needed")
    for day in (18, 19):
        for hour in range(4):
            taken = datetime(2026, 3, day, 8 + hour, 0, tzinfo=UTC)
            with time_machine.travel(taken + timedelta(minutes=1), tick=False):
                medication.dose_create(patient=patient, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=taken)
    url = f"/patients/{patient.pk}/flags/rescue_doses_high/acknowledge"
    with time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        client = signed_in(therapist)
        assert url in text(client.get(f"/patients/{patient.pk}"))
        response = submit(client, url, {"note": "Asked the GP to review"}, form_page=f"/patients/{patient.pk}")
        assert response.status_code == 302
        taken = timezone.now() - timedelta(minutes=5)
        medication.dose_create(patient=patient, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=taken)
        page = text(client.get(f"/patients/{patient.pk}"))
    assert "Acknowledged by" in page and url not in page
