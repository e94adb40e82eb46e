"""The settings page's reminders: a plain form that works without JavaScript, and the hooks the
script uses for "Remind me on this phone". Pat is a patient; Thea her therapist (tests/conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from diary.models import ReminderSettings
from tests.conftest import signed_in
from tests.frontend.pages import status_messages, submit, text


def reminder_form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enabled": "on",
        "time_1": "08:30",
        "time_2": "20:00",
        "time_3": "",
        "time_4": "",
        "missed_nudge": "on",
        "channels": ["push", "email"],
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def test_it_shows_a_new_patient_the_suggested_evening_time_off(patient: Any) -> None:
    """Reminders start off, with 20:00 filled in, in a labelled section with one fieldset for the times."""
    page = text(signed_in(patient).get("/settings"))
    assert '<h2 id="reminders-title">Reminders</h2>' in page
    assert re.search(r'<input type="checkbox" name="enabled" id="id_enabled">', page)
    assert 'name="time_1" value="20:00"' in page
    assert re.search(r'<input type="time" name="time_2"(?! value)', page)
    assert "<legend>When</legend>" in page
    assert "London time (Europe/London)" in page
    # The push part is the script's, hidden until it knows the browser can do it.
    assert 'data-push-setup data-api-push-key="/api/v1/push/key"' in page
    assert "data-push-ios hidden" in page
    assert "Home Screen" in page and "iOS 16.4" in page
    assert re.search(r'<script type="module" src="[^"]*reminders\.js" nonce="[^"]+">', page)


def test_it_saves_reminders_from_the_plain_form(patient: Any) -> None:
    """Without JavaScript: times, on/off, the nudge and both channels, saved through the service."""
    client = signed_in(patient)
    response = submit(client, "/settings/reminders", reminder_form(time_3="12:15"), form_page="/settings")
    assert response.status_code == 302
    assert response["Location"] == "/settings#reminders-title"
    stored = ReminderSettings.objects.get(patient=patient)
    assert (stored.times, stored.enabled, stored.missed_nudge, stored.push, stored.email) == (
        ["08:30", "12:15", "20:00"],
        True,
        True,
        True,
        True,
    )
    page = client.get("/settings")
    assert "Reminders saved." in status_messages(page)
    assert 'name="time_2" value="12:15"' in text(page)
    assert 'name="enabled" id="id_enabled" checked' in text(page)


def test_it_turns_reminders_off(patient: Any) -> None:
    client = signed_in(patient)
    submit(client, "/settings/reminders", reminder_form(), form_page="/settings")
    submit(
        client,
        "/settings/reminders",
        reminder_form(enabled=None, missed_nudge=None, channels=["email"]),
        form_page="/settings",
    )
    stored = ReminderSettings.objects.get(patient=patient)
    assert (stored.enabled, stored.missed_nudge, stored.push, stored.email) == (False, False, False, True)


def test_it_says_what_is_wrong_with_a_time(patient: Any) -> None:
    """A time that is not HH:MM: the page comes back with the message by the field; nothing is saved."""
    client = signed_in(patient)
    response = submit(client, "/settings/reminders", reminder_form(time_2="25:00"), form_page="/settings")
    assert response.status_code == 200
    page = text(response)
    assert 'href="#id_time_2"' in page
    assert "HH:MM on the 24-hour clock" in page
    assert ReminderSettings.objects.get(patient=patient).enabled is False


def test_it_refuses_a_form_without_the_csrf_token(patient: Any) -> None:
    response = signed_in(patient).post("/settings/reminders", reminder_form())
    assert response.status_code == 403
    assert ReminderSettings.objects.get(patient=patient).enabled is False


def test_it_has_no_reminders_for_therapists(therapist: Any) -> None:
    client = signed_in(therapist)
    assert "reminders-title" not in text(client.get("/settings"))
    assert "reminders.js" not in text(client.get("/settings"))
    assert submit(client, "/settings/reminders", reminder_form(), form_page="/settings").status_code == 403
