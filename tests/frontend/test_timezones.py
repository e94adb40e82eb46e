"""Time zones through the pages, as without JavaScript: choosing one on sign-up and in settings,
the travel prompt's one tap, and a typed time read in the diary's zone.

Who is who (tests/conftest.py): Pat is a patient in Europe/London, Olive another patient in
America/Los_Angeles, Thea their therapist.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
import time_machine

from diary import services, zones
from diary.models import CheckIn, User
from tests.conftest import PASSWORD, signed_in
from tests.frontend.pages import hidden_inputs, status_messages, submit, text

# 1 December 2026: London is on GMT (+00:00), Tokyo on +09:00, Los Angeles on PST (−08:00).
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def options(response: Any) -> list[str]:
    """The values of the time zone select, in order (the empty choice included)."""
    content = text(response)
    select = content[content.index('<select name="timezone"') : content.index("</select>")]
    return re.findall(r'<option value="([^"]*)"', select)


def selected(response: Any) -> list[str]:
    content = text(response)
    select = content[content.index('<select name="timezone"') : content.index("</select>")]
    return re.findall(r'<option value="([^"]*)" selected>', select)


# --- sign-up without JavaScript -----------------------------------------------------


def test_it_asks_for_a_time_zone_with_none_chosen(db: Any, settings: Any) -> None:
    """An empty first choice, then the common zones (the clinic's first), then every place once, by area."""
    settings.CLINIC_TIMEZONE = "Europe/Dublin"
    page = signed_in(None).get("/signup")

    values = options(page)
    assert selected(page) == [""]
    assert values[0] == ""
    assert values[1:4] == ["Europe/Dublin", "Europe/London", "Europe/Paris"]
    assert '<optgroup label="Common time zones">' in text(page)
    assert '<optgroup label="Europe">' in text(page)
    # After the common ones, every place once (UTC last), and no alias.
    places = values[1 + len(zones.common_zones()) :]
    assert places == list(zones.picker_zones())
    assert len(places) == len(set(places)) > 400
    assert "Asia/Kolkata" in places
    assert "Asia/Calcutta" not in values
    assert "US/Central" not in values


def test_it_refuses_a_sign_up_without_a_time_zone(db: Any) -> None:
    """The person must choose: a clear error next to the list, in the summary at the top, and no account."""
    response = submit(signed_in(None), "/signup", {"email": "nia@example.com", "password": PASSWORD})

    assert response.status_code == 200
    content = text(response)
    assert 'id="id_timezone_error"' in content
    assert "Choose your time zone." in content
    assert 'href="#id_timezone"' in content
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("sent", "stored"), [("America/Chicago", "America/Chicago"), ("Asia/Calcutta", "Asia/Kolkata"), ("Etc/UTC", "UTC")]
)
def test_it_signs_up_with_the_chosen_zone_stored_by_its_canonical_name(db: Any, sent: str, stored: str) -> None:
    """An alias (what some phones report, and what the page's script may send) is stored as the current name."""
    response = submit(signed_in(None), "/signup", {"email": "nia@example.com", "password": PASSWORD, "timezone": sent})
    assert response.status_code == 302
    assert User.objects.get().timezone == stored


# --- settings ----------------------------------------------------------------------


def test_it_shows_the_current_zone_chosen_in_settings(patient: Any) -> None:
    page = signed_in(patient).get("/settings")
    assert selected(page) == ["Europe/London"]
    assert "" not in options(page)


def test_it_shows_a_zone_stored_under_an_old_name_by_its_current_one(patient: Any) -> None:
    """A diary kept before aliases were stored canonically still finds its zone in the list."""
    User.objects.filter(pk=patient.pk).update(timezone="Asia/Calcutta")
    page = signed_in(patient).get("/settings")
    assert selected(page) == ["Asia/Kolkata"]


def test_it_saves_an_alias_in_settings_as_its_canonical_name(patient: Any) -> None:
    response = submit(signed_in(patient), "/settings", {"display_name": "Pat", "timezone": "US/Central"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.timezone == "America/Chicago"


# --- the check-in page carries the diary's zone; the offline shell does not ----------------


def test_it_gives_the_check_in_page_the_diarys_zone_and_the_travel_prompt(patient: Any) -> None:
    content = text(signed_in(patient).get("/"))
    assert 'data-profile-zone="Europe/London"' in content
    # Shown by checkin.js only when the phone's zone differs; a plain form to the switch, with its token.
    prompt = content[content.index("data-travel ") : content.index("</section>", content.index("data-travel "))]
    assert "hidden" in prompt
    assert 'action="/settings/timezone"' in prompt
    assert 'name="csrfmiddlewaretoken"' in prompt
    # The old names of the diary's own zone only (a phone may report one): not the whole 4 KB list.
    assert "GB=Europe/London" in prompt
    assert "Asia/Calcutta" not in prompt


def test_it_leaves_the_zone_and_the_prompt_out_of_the_offline_shell(db: Any) -> None:
    """The shell is the same for everyone (frontend/pwa.py): it names no zone and has no token to switch with."""
    content = text(signed_in(None).get("/checkin-shell"))
    assert "data-profile-zone" not in content
    assert "data-travel" not in content


# --- the travel prompt's one tap ----------------------------------------------------------


def stored_days(patient: Any) -> list[tuple[date, str]]:
    return [(c.local_date, c.part_of_day) for c in CheckIn.objects.filter(patient=patient).order_by("recorded_at")]


@pytest.fixture
def pats_diary(patient: Any) -> Any:
    """Two check-ins of Pat's in London: on 30 November, 14:00 (afternoon) and 22:00 (evening)."""
    with time_machine.travel(NOW, tick=False):
        for hour in (14, 22):
            recorded_at = datetime(2026, 11, 30, hour, 0, tzinfo=UTC)
            services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, pain=3)
    assert stored_days(patient) == [(date(2026, 11, 30), "afternoon"), (date(2026, 11, 30), "evening")]
    return patient


@time_machine.travel(NOW, tick=False)
def test_it_switches_the_diary_to_the_phones_zone_in_one_tap(pats_diary: Any) -> None:
    """The diary takes Tokyo time, and stored check-ins are dated again in it: 22:00 in London is 07:00 the
    next morning in Tokyo."""
    client = signed_in(pats_diary)

    response = submit(client, "/settings/timezone", {"timezone": "Asia/Tokyo"}, form_page="/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    pats_diary.refresh_from_db()
    assert pats_diary.timezone == "Asia/Tokyo"
    assert stored_days(pats_diary) == [(date(2026, 11, 30), "evening"), (date(2026, 12, 1), "morning")]
    home = client.get("/")
    assert "Your diary now uses Tokyo time (Asia/Tokyo)." in status_messages(home)
    assert 'data-profile-zone="Asia/Tokyo"' in text(home)


@time_machine.travel(NOW, tick=False)
def test_it_switches_to_the_canonical_name_of_an_alias(pats_diary: Any) -> None:
    submit(signed_in(pats_diary), "/settings/timezone", {"timezone": "Asia/Calcutta"}, form_page="/")
    pats_diary.refresh_from_db()
    assert pats_diary.timezone == "Asia/Kolkata"


@pytest.mark.parametrize("zone", ["Mars/Base", ""])
def test_it_keeps_the_zone_when_the_switch_names_no_zone(pats_diary: Any, zone: str) -> None:
    """Back to the check-in page with the reason; nothing changes."""
    client = signed_in(pats_diary)
    response = submit(client, "/settings/timezone", {"timezone": zone}, form_page="/")
    assert response.status_code == 302
    assert "Your time zone was not changed" in status_messages(client.get("/"))
    pats_diary.refresh_from_db()
    assert pats_diary.timezone == "Europe/London"


def test_it_switches_only_the_diary_of_whoever_taps(pats_diary: Any, other_patient: Any) -> None:
    """There is no one else to name: Olive's tap changes Olive's diary, and Pat's stays as it was."""
    submit(signed_in(other_patient), "/settings/timezone", {"timezone": "Asia/Tokyo"}, form_page="/")
    other_patient.refresh_from_db()
    pats_diary.refresh_from_db()
    assert other_patient.timezone == "Asia/Tokyo"
    assert pats_diary.timezone == "Europe/London"
    assert stored_days(pats_diary) == [(date(2026, 11, 30), "afternoon"), (date(2026, 11, 30), "evening")]


def test_it_sends_anyone_signed_out_to_sign_in(pats_diary: Any) -> None:
    client = signed_in(None)
    token = hidden_inputs(client.get("/login"))["csrfmiddlewaretoken"]
    response = client.post("/settings/timezone", {"csrfmiddlewaretoken": token, "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    pats_diary.refresh_from_db()
    assert pats_diary.timezone == "Europe/London"


def test_it_refuses_a_therapist(therapist: Any) -> None:
    """As every patient page: 403. A therapist's zone is theirs to change in settings."""
    response = submit(signed_in(therapist), "/settings/timezone", {"timezone": "Asia/Tokyo"}, form_page="/settings")
    assert response.status_code == 403
    therapist.refresh_from_db()
    assert therapist.timezone == "UTC"


def test_it_refuses_a_switch_without_the_csrf_token(pats_diary: Any) -> None:
    response = signed_in(pats_diary).post("/settings/timezone", {"timezone": "Asia/Tokyo"})
    assert response.status_code == 403
    pats_diary.refresh_from_db()
    assert pats_diary.timezone == "Europe/London"


# --- "Earlier time" on the plain form: the diary's zone, not the server's or the phone's ----------------


@time_machine.travel(NOW, tick=False)
def test_it_reads_an_earlier_time_in_the_diarys_zone_and_says_it_so(other_patient: Any) -> None:
    """Olive (Los Angeles, −08:00) types 21:00 on 30 November: 05:00 on 1 December UTC, her evening;
    the confirmation says 21:00, her time."""
    client = signed_in(other_patient)
    response = submit(client, "/", {"pain": "3", "recorded_at": "2026-11-30T21:00"})

    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.recorded_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert (checkin.local_date, checkin.part_of_day) == (date(2026, 11, 30), "evening")
    assert "Check-in saved for Monday 30 November at 21:00." in status_messages(client.get("/"))
