"""A patient's check-ins through the pages: create, replay, edit, delete, and the history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.utils import timezone

from diary import services
from diary.models import CheckIn
from tests.conftest import signed_in
from tests.frontend.pages import hidden_inputs, input_value, status_messages, submit, text

# 23:30 UTC on 1 July is 00:30 on 2 July in London (BST): the next local day, at night.
LATE_EVENING_UTC = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


def make_checkin(patient: Any, **fields: Any) -> CheckIn:
    fields.setdefault("recorded_at", timezone.now() - timedelta(hours=1))
    return services.checkin_create(patient=patient, client_uuid=uuid4(), **fields).checkin


@time_machine.travel(LATE_EVENING_UTC, tick=False)
def test_it_stores_a_full_checkin_in_the_patients_own_day(patient: Any) -> None:
    """Every answer lands in the database; the day and part of day are London's, not the server's."""
    client = signed_in(patient)
    response = submit(
        client,
        "/",
        {
            "pain": "6",
            "pain_locations": ["lower_back", "leg_left"],
            "movement_effect": "no_change",
            "fatigue": "5",
            "rest_helped": "no",
            "symptoms": ["night_sweats", "limb_numbness_tingling"],
            "sleep_hours": "6.5",
            "woke_from_pain": "yes",
            "weight_kg": "71.4",
            "exercise_minutes": "20",
            "notes": "Stiff after the bus <b>ride</b>",
        },
    )

    # New numbness or tingling is an urgent flag: the next page says what to do.
    assert response.status_code == 302
    assert response["Location"] == "/alert"
    checkin = CheckIn.objects.get()
    assert checkin.patient == patient
    assert checkin.recorded_at == LATE_EVENING_UTC
    assert (checkin.local_date, checkin.part_of_day) == (date(2026, 7, 2), "night")
    assert (checkin.pain, checkin.fatigue, checkin.movement_effect, checkin.rest_helped) == (6, 5, "no_change", "no")
    assert checkin.pain_locations == ["lower_back", "leg_left"]
    assert checkin.symptoms == ["night_sweats", "limb_numbness_tingling"]
    assert (checkin.sleep_hours, checkin.woke_from_pain, checkin.weight_kg) == (6.5, True, 71.4)
    assert (checkin.exercise_minutes, checkin.notes) == (20, "Stiff after the bus <b>ride</b>")

    home = client.get("/")
    assert "Check-in saved at 00:30." in status_messages(home)


def test_it_stores_the_same_rendered_form_once(patient: Any) -> None:
    """A double tap (or a resend after a lost answer) posts the same client_uuid: one row, same confirmation."""
    client = signed_in(patient)
    form = hidden_inputs(client.get("/"))
    assert form["client_uuid"]

    first = client.post("/", {**form, "pain": "4"})
    second = client.post("/", {**form, "pain": "4"})

    assert first.status_code == second.status_code == 302
    assert CheckIn.objects.count() == 1
    assert str(CheckIn.objects.get().client_uuid) == form["client_uuid"]


def test_it_gives_each_rendered_form_a_new_client_uuid(patient: Any) -> None:
    client = signed_in(patient)
    assert hidden_inputs(client.get("/"))["client_uuid"] != hidden_inputs(client.get("/"))["client_uuid"]


def test_it_accepts_a_quick_checkin_with_pain_alone(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"pain": "3"})
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert (checkin.pain, checkin.fatigue, checkin.symptoms, checkin.notes) == (3, None, [], "")
    assert (checkin.movement_effect, checkin.rest_helped, checkin.woke_from_pain) == (None, None, None)


def test_it_accepts_a_quick_checkin_with_tiredness_alone(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"fatigue": "8"})
    assert response.status_code == 302
    assert CheckIn.objects.get().fatigue == 8


def test_it_refuses_an_empty_checkin_and_stores_nothing(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"notes": "just a note", "pain_locations": ["neck"]})

    assert response.status_code == 200
    content = text(response)
    assert "Report at least one of pain, tiredness, a symptom, weight or sleep." in content
    assert 'class="error-summary"' in content
    # What was typed is still there to complete.
    assert "just a note</textarea>" in content
    assert 'value="neck" id="id_pain_locations_3" checked' in content
    assert not CheckIn.objects.exists()


def test_it_refuses_pain_11(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"pain": "11", "fatigue": "2"})

    assert response.status_code == 200
    assert "Choose a number from 0 to 10." in text(response)
    assert 'href="#id_pain_0"' in text(response)
    assert not CheckIn.objects.exists()


def test_it_refuses_out_of_range_numbers_next_to_their_fields(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"pain": "2", "weight_kg": "4", "sleep_hours": "25"})
    content = text(response)
    assert 'id="id_weight_kg_error"' in content
    assert 'id="id_sleep_hours_error"' in content
    assert not CheckIn.objects.exists()


def test_it_records_an_earlier_time_given_in_the_patients_zone(patient: Any) -> None:
    """A typed time is London time: 09:15 in July is 08:15 UTC."""
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=False):
        response = submit(signed_in(patient), "/", {"pain": "2", "recorded_at": "2026-07-01T09:15"})
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.recorded_at == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)
    assert checkin.part_of_day == "morning"


def test_it_refuses_a_time_in_the_future(patient: Any) -> None:
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=False):
        response = submit(signed_in(patient), "/", {"pain": "2", "recorded_at": "2026-07-01T18:00"})
    assert "That time is later than now." in text(response)
    assert not CheckIn.objects.exists()


def test_it_shows_the_history_newest_first_in_plain_words(patient: Any) -> None:
    make_checkin(patient, pain=2, recorded_at=timezone.now() - timedelta(days=2))
    make_checkin(
        patient,
        pain=7,
        fatigue=6,
        pain_locations=["hip_buttock"],
        symptoms=["saddle_numbness"],
        notes="<script>alert(1)</script>",
    )

    response = signed_in(patient).get("/history")

    content = text(response)
    assert response.status_code == 200
    assert content.index("7 out of 10") < content.index("2 out of 10")
    assert "Hip or buttock" in content
    assert "Numb between the legs or buttocks" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content


def test_it_pages_the_history_by_30(patient: Any) -> None:
    for minutes in range(31):
        make_checkin(patient, pain=1, recorded_at=timezone.now() - timedelta(minutes=minutes + 1))
    client = signed_in(patient)
    first = text(client.get("/history"))
    second = text(client.get("/history?page=2"))
    assert first.count("/edit") == 30
    assert second.count("/edit") == 1
    assert "Page 2 of 2" in second


def test_it_edits_a_checkin(patient: Any) -> None:
    checkin = make_checkin(patient, pain=5, fatigue=4, notes="before")
    client = signed_in(patient)
    url = f"/checkins/{checkin.pk}/edit"
    page = client.get(url)
    assert 'value="5" id="id_pain_5" checked' in text(page)

    form = hidden_inputs(page)
    response = client.post(
        url,
        {**form, "pain": "3", "fatigue": "4", "notes": "after", "recorded_at": input_value(page, "recorded_at")},
    )

    assert response.status_code == 302
    assert response["Location"] == "/history"
    checkin.refresh_from_db()
    assert (checkin.pain, checkin.fatigue, checkin.notes) == (3, 4, "after")


def test_it_keeps_the_time_when_an_edit_leaves_it_alone(patient: Any) -> None:
    """The time field shows minutes; sending it back unchanged must not move the check-in by its seconds."""
    recorded_at = datetime(2026, 7, 1, 8, 15, 42, tzinfo=UTC)
    with time_machine.travel(recorded_at + timedelta(minutes=5), tick=False):
        checkin = make_checkin(patient, pain=5, recorded_at=recorded_at)
        client = signed_in(patient)
        page = client.get(f"/checkins/{checkin.pk}/edit")
        shown = input_value(page, "recorded_at")
        assert shown == "2026-07-01T09:15"  # London time, to the minute
        client.post(f"/checkins/{checkin.pk}/edit", {**hidden_inputs(page), "pain": "6", "recorded_at": shown})
    checkin.refresh_from_db()
    assert checkin.pain == 6
    assert checkin.recorded_at == recorded_at


def test_it_shows_the_services_refusal_when_an_edit_empties_a_checkin(patient: Any) -> None:
    checkin = make_checkin(patient, pain=5)
    response = submit(signed_in(patient), f"/checkins/{checkin.pk}/edit", {"notes": "nothing else"})
    assert "Report at least one of pain" in text(response)
    checkin.refresh_from_db()
    assert checkin.pain == 5


def test_it_deletes_a_checkin_after_asking(patient: Any) -> None:
    checkin = make_checkin(patient, pain=5)
    client = signed_in(patient)
    url = f"/checkins/{checkin.pk}/delete"

    confirm = client.get(url)
    assert "Delete this check-in?" in text(confirm)
    assert CheckIn.objects.filter(pk=checkin.pk).exists()

    response = submit(client, url)
    assert response.status_code == 302
    assert response["Location"] == "/history"
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert "Check-in deleted." in status_messages(client.get("/history"))


def test_it_hides_another_patients_checkin(patient: Any, other_patient: Any) -> None:
    """Olive cannot open, change or delete Pat's check-in: 404, as if it did not exist, and nothing changes."""
    checkin = make_checkin(patient, pain=5, notes="pat only")
    client = signed_in(other_patient)
    token = hidden_inputs(client.get("/"))["csrfmiddlewaretoken"]

    for url in (f"/checkins/{checkin.pk}/edit", f"/checkins/{checkin.pk}/delete"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"csrfmiddlewaretoken": token, "pain": "0"}).status_code == 404

    checkin.refresh_from_db()
    assert (checkin.pain, checkin.notes) == (5, "pat only")


def test_it_shows_the_last_few_checkins_on_the_checkin_page(patient: Any) -> None:
    for pain in (1, 2, 3, 4):
        make_checkin(patient, pain=pain, recorded_at=timezone.now() - timedelta(hours=10 - pain))
    content = text(signed_in(patient).get("/"))
    assert "pain 4/10" in content
    assert "pain 2/10" in content
    assert "pain 1/10" not in content
    assert 'href="/history"' in content


def test_it_refuses_a_client_uuid_that_another_patient_used(patient: Any, other_patient: Any) -> None:
    """Only a tampered form can do this: it is refused, and Olive's check-in is neither shown nor changed."""
    olives = make_checkin(other_patient, pain=9, notes="olive only")
    client = signed_in(patient)
    form = hidden_inputs(client.get("/"))

    response = client.post("/", {**form, "client_uuid": str(olives.client_uuid), "pain": "1"})

    content = text(response)
    assert response.status_code == 200
    assert "This form could not be saved" in content
    assert "olive only" not in content
    assert str(olives.client_uuid) not in content
    assert not patient.checkins.exists()
    olives.refresh_from_db()
    assert (olives.pain, olives.patient) == (9, other_patient)


def test_it_refuses_notes_over_2000_characters(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"pain": "2", "notes": "x" * 2001})
    assert "Notes can be at most 2000 characters. These have 2001." in text(response)
    assert not CheckIn.objects.exists()
