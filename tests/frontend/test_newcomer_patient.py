"""What a new patient tripped on (issue 15, items 7–12 and 14–16), through the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.conf import settings
from django.utils import timezone

from diary import limits, lockout, services
from diary.models import CareLink, CheckIn, TherapistNote
from tests.conftest import PASSWORD, signed_in
from tests.frontend.pages import hidden_inputs, submit, text

NOON_IN_JULY = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


# --- an earlier time cannot be later than now ------------------------------------


@time_machine.travel(NOON_IN_JULY, tick=False)
def test_the_earlier_time_picker_stops_at_now_in_the_diarys_zone(patient: Any) -> None:
    """12:00 UTC is 13:00 in London (BST): the picker offers nothing after it."""
    response = signed_in(patient).get("/")
    assert re.search(r'<input type="datetime-local" name="recorded_at"[^>]* max="2026-07-01T13:00"', text(response))


@time_machine.travel(NOON_IN_JULY, tick=False)
def test_a_later_time_is_refused_with_the_same_words_the_phone_uses(patient: Any) -> None:
    """The server stays the authority, and says what the page's script says before sending."""
    response = submit(signed_in(patient), "/", {"pain": "2", "recorded_at": "2026-07-01T18:00"})
    assert limits.RECORDED_AT_LATER_THAN_NOW == "That time is later than now."
    assert limits.RECORDED_AT_LATER_THAN_NOW in text(response)
    assert f'data-later-than-now="{limits.RECORDED_AT_LATER_THAN_NOW}"' in text(response)
    assert not CheckIn.objects.exists()


# --- one check-in for one form, however often Save is pressed ----------------------


def test_the_same_rendered_form_posted_twice_makes_one_checkin(patient: Any) -> None:
    """A double press of the plain form sends its client_uuid twice: the second is a replay."""
    client = signed_in(patient)
    page = client.get("/")
    hidden = hidden_inputs(page)
    assert hidden["client_uuid"]
    first = client.post("/", {**hidden, "pain": "5"})
    second = client.post("/", {**hidden, "pain": "5"})
    assert (first.status_code, second.status_code) == (302, 302)
    assert CheckIn.objects.count() == 1
    # Each page render is a new check-in, though.
    submit(client, "/", {"pain": "6"})
    assert CheckIn.objects.count() == 2


# --- notes: counted near the limit, never cut ---------------------------------------


def test_the_notes_box_does_not_cut_text_and_has_a_counter(patient: Any) -> None:
    """A maxlength attribute would cut pasted text silently; the page counts instead, and the server refuses."""
    content = text(signed_in(patient).get("/"))
    notes = re.search(r"<textarea[^>]*name=\"notes\"[^>]*>", content)
    assert notes is not None
    assert "maxlength" not in notes.group(0)
    assert f'data-max-length="{limits.NOTES_MAX_LENGTH}"' in notes.group(0)
    assert "data-notes-counter" in content


def test_notes_longer_than_the_limit_are_refused_whole_with_their_length(patient: Any) -> None:
    response = submit(signed_in(patient), "/", {"pain": "2", "notes": "x" * (limits.NOTES_MAX_LENGTH + 5)})
    assert response.status_code == 200
    assert f"Notes can be at most {limits.NOTES_MAX_LENGTH} characters. These have 2005." in text(response)
    # What was typed comes back whole, to be shortened by the patient, not by the page.
    assert "x" * (limits.NOTES_MAX_LENGTH + 5) in text(response)
    assert not CheckIn.objects.exists()


# --- destructive actions ask first ---------------------------------------------------


def test_end_sharing_asks_first_and_ends_only_on_the_confirming_post(patient: Any, therapist: Any) -> None:
    """The sharing page links to a question; opening it ends nothing; its button does."""
    link = CareLink.objects.get(patient=patient, therapist=therapist, ended_at__isnull=True)
    client = signed_in(patient)
    links_page = text(client.get("/links"))
    assert f'href="/links/{link.pk}/end"' in links_page
    assert f'action="/links/{link.pk}/end"' not in links_page

    question = client.get(f"/links/{link.pk}/end")
    assert question.status_code == 200
    assert "End sharing with Thea Therapist?" in text(question)
    link.refresh_from_db()
    assert link.ended_at is None

    answer = submit(client, f"/links/{link.pk}/end")
    assert answer.status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None


def test_deleting_a_note_asks_its_author_first(patient: Any, therapist: Any) -> None:
    note = services.therapist_note_create(
        patient=patient, therapist=therapist, written_on=timezone.localdate(), text="Phoned: new exercises"
    )
    url = f"/patients/{patient.pk}/notes/{note.pk}/delete"
    client = signed_in(therapist)
    question = client.get(url)
    assert question.status_code == 200
    assert "Phoned: new exercises" in text(question)
    assert TherapistNote.objects.filter(pk=note.pk).exists()

    assert submit(client, url).status_code == 302
    assert not TherapistNote.objects.filter(pk=note.pk).exists()


def test_only_the_author_is_asked_about_deleting_a_note(patient: Any, therapist: Any) -> None:
    colleague = services.therapist_create(email="theo@example.com", password=PASSWORD, display_name="Theo")
    services.link_create(patient=patient, invite_code=colleague.invite_code)
    note = services.therapist_note_create(
        patient=patient, therapist=therapist, written_on=timezone.localdate(), text="Phoned: new exercises"
    )
    assert signed_in(colleague).get(f"/patients/{patient.pk}/notes/{note.pk}/delete").status_code == 403


# --- signing in: a warning before the lockout, and how long to wait ------------------


def _sign_in(client: Any, email: str, password: str) -> Any:
    token = hidden_inputs(client.get("/login"))["csrfmiddlewaretoken"]
    return client.post("/login", {"csrfmiddlewaretoken": token, "username": email, "password": password})


def test_the_fourth_wrong_password_warns_that_the_next_one_pauses_sign_in(patient: Any) -> None:
    """Five failures lock (django-axes); the fourth says so, and the first three do not."""
    client = signed_in(None)
    warning = "You have one more try before a 15-minute pause for this email address."
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        assert warning not in text(_sign_in(client, patient.email, "wrong"))
    assert warning in text(_sign_in(client, patient.email, "wrong"))
    assert lockout.LOCKED in text(_sign_in(client, patient.email, "wrong"))


def test_an_address_with_no_account_is_warned_the_same_way(db: Any) -> None:
    client = signed_in(None)
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        _sign_in(client, "nobody@example.com", "wrong")
    assert "one more try before a 15-minute pause" in text(_sign_in(client, "nobody@example.com", "wrong"))


def test_the_per_address_limit_says_how_long_to_wait(patient: Any) -> None:
    """Past the sign-in rate from one address the page answers 429 with Retry-After, and says it in words."""
    client = signed_in(None)
    for _ in range(40):
        response = _sign_in(client, f"someone{_}@example.com", "wrong")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert wait > 0
    assert f"Please wait {lockout.wait_words(wait)}, then try again." in text(response)


# --- weight in kg or lb ----------------------------------------------------------------


def _in_pounds(patient: Any) -> Any:
    response = submit(
        signed_in(patient), "/settings", {"display_name": "", "timezone": patient.timezone, "weight_unit": "lb"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.weight_unit == "lb"
    return patient


def test_weight_is_typed_in_pounds_and_stored_in_kg(patient: Any) -> None:
    """The check-in form asks in the unit chosen in settings; the diary, the API and the CSV keep kg."""
    _in_pounds(patient)
    client = signed_in(patient)
    assert "Weight in lb" in text(client.get("/"))
    assert 'data-weight-unit="lb"' in text(client.get("/"))
    submit(client, "/", {"weight_kg": "160"})
    assert CheckIn.objects.get().weight_kg == 72.57

    # The history shows it back in pounds; the API and the CSV stay in kg (API.md).
    assert "160 lb" in text(client.get("/history"))
    assert client.get("/api/v1/checkins").json()["results"][0]["weight_kg"] == 72.57
    assert "72.57" in client.get("/api/v1/export?format=csv").content.decode()


def test_a_weight_outside_the_range_is_refused_in_pounds(patient: Any) -> None:
    _in_pounds(patient)
    response = submit(signed_in(patient), "/", {"weight_kg": "20"})
    assert "Weight must be from 45 to 881 lb." in text(response)
    assert not CheckIn.objects.exists()


def test_editing_another_answer_keeps_the_stored_kg(patient: Any) -> None:
    """No round trip through pounds: an unchanged weight stays exactly what was stored."""
    _in_pounds(patient)
    checkin = services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=timezone.now(), pain=3, weight_kg=72.5
    ).checkin
    client = signed_in(patient)
    edit = client.get(f"/checkins/{checkin.pk}/edit")
    assert 'value="159.8"' in text(edit)
    response = client.post(f"/checkins/{checkin.pk}/edit", {**edit_data(edit), "pain": "4"})
    assert response.status_code == 302
    checkin.refresh_from_db()
    assert (checkin.pain, checkin.weight_kg) == (4, 72.5)


def edit_data(response: Any) -> dict[str, str]:
    """What the edit form sends back unchanged: its hidden fields, the weight and the time shown."""
    content = text(response)
    data = hidden_inputs(response)
    for name in ("weight_kg", "recorded_at"):
        match = re.search(rf'name="{name}"[^>]* value="([^"]*)"', content) or re.search(
            rf'value="([^"]*)"[^>]* name="{name}"', content
        )
        if match:
            data[name] = match.group(1)
    return data


def test_the_patients_weight_chart_and_table_say_pounds_and_the_therapists_say_kg(patient: Any, therapist: Any) -> None:
    _in_pounds(patient)
    services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=timezone.now() - timedelta(hours=1), weight_kg=72.5
    )
    own = text(signed_in(patient).get("/trends"))
    assert "Weight (lb)" in own
    assert "Weight 159.8 lb on" in own
    period = {"start": (timezone.localdate() - timedelta(days=6)).isoformat(), "end": timezone.localdate().isoformat()}
    chart = signed_in(patient).get("/trends/charts/weight.svg", period).content.decode()
    assert ">lb</text>" in chart
    theirs = signed_in(therapist).get(f"/patients/{patient.pk}/charts/weight.svg", period).content.decode()
    assert ">kg</text>" in theirs
    assert "Weight (lb)" not in text(signed_in(therapist).get(f"/patients/{patient.pk}"))


def test_a_therapist_is_not_offered_a_weight_unit(therapist: Any) -> None:
    assert "Show my weight in" not in text(signed_in(therapist).get("/settings"))
