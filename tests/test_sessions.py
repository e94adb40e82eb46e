"""Session limits (diary/sessions.py): idle timeouts by role, an absolute lifetime, the list of one's
sessions and "sign out everywhere else", end to end through the pages and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.contrib.sessions.models import Session

from diary.models import AuditEvent, SessionRecord
from tests.conftest import Api, signed_in
from tests.frontend.pages import hidden_inputs, text

START = "2026-03-10 09:00Z"


def test_a_therapist_is_signed_out_after_30_idle_minutes_and_told_why(therapist: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(therapist)
        assert client.get("/").status_code == 200

        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200  # 29 minutes idle: still in, and the clock restarts

        clock.shift(timedelta(minutes=31))
        page = client.get("/", follow=True)

    assert page.redirect_chain[-1][0].startswith("/login")
    assert "You were signed out after 30 minutes without using the diary" in text(page)


def test_the_api_answers_401_once_the_session_has_timed_out(therapist: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        api = Api(therapist)
        assert api.get("patients").status_code == 200
        clock.shift(timedelta(minutes=31))
        assert api.get("patients").status_code == 401


def test_a_patient_stays_signed_in_on_their_phone_for_two_weeks_of_quiet(patient: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(patient)
        assert client.get("/").status_code == 200
        clock.shift(timedelta(days=13))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(days=15))
        assert client.get("/").status_code == 302


def test_a_busy_therapist_is_still_signed_out_after_12_hours(therapist: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in(therapist)
        for _ in range(12 * 3 - 1):  # a request every 20 minutes, all day
            assert client.get("/").status_code == 200
            clock.shift(timedelta(minutes=20))
        assert client.get("/").status_code == 200  # 11 h 40 min
        clock.shift(timedelta(minutes=21))
        page = client.get("/", follow=True)

    assert "because you had been signed in for a long time" in text(page)


def test_the_cookie_and_the_stored_session_expire_a_day_after_the_idle_time(therapist: Any, patient: Any) -> None:
    """A day longer than the idle time, only so that the sign-in page can say why; refused all the same."""
    with time_machine.travel(START, tick=False):
        therapist_client, patient_client = signed_in(therapist), signed_in(patient)
        therapist_client.get("/")
        patient_client.get("/")

        assert therapist_client.session.get_expiry_age() == 30 * 60 + 24 * 3600
        assert patient_client.session.get_expiry_age() == 15 * 24 * 3600


def test_one_sees_where_one_is_signed_in_and_signs_out_everywhere_else(patient: Any) -> None:
    phone, laptop = signed_in(patient), signed_in(patient)
    laptop.get("/")
    settings_page = phone.get("/settings")
    content = text(settings_page)
    assert content.count("This device") == 1
    assert content.count("Another device") == 1

    answer = phone.post("/settings/sessions/end", hidden_inputs(settings_page))

    assert answer.status_code == 302
    assert "Signed out everywhere else (1 session)" in text(phone.get(answer["Location"]))
    assert phone.get("/history").status_code == 200
    assert laptop.get("/history").status_code == 302
    assert SessionRecord.objects.filter(user=patient).count() == 1
    assert Session.objects.count() == 1
    assert AuditEvent.objects.filter(action="auth:sign_out_elsewhere", actor_user_id=patient.pk).exists()


def test_another_persons_sessions_are_untouched(patient: Any, other_patient: Any) -> None:
    olive = signed_in(other_patient)
    olive.get("/")
    phone = signed_in(patient)

    phone.post("/settings/sessions/end", hidden_inputs(phone.get("/settings")))

    assert olive.get("/history").status_code == 200
    assert "Another device" not in text(phone.get("/settings"))
