"""A person's own settings, saved through services.profile_update."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import time_machine

from diary import services
from tests.conftest import signed_in
from tests.frontend.pages import status_messages, submit, text


@time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
def test_it_saves_a_patients_settings_and_redates_their_checkins(patient: Any) -> None:
    three_am = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    checkin = services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=three_am, pain=2).checkin
    assert checkin.part_of_day == "night"
    client = signed_in(patient)

    response = submit(
        client,
        "/settings",
        {"display_name": "Pat P.", "timezone": "Asia/Tokyo", "therapy_started_on": "2026-02-01"},
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.display_name, patient.timezone, patient.therapy_started_on) == (
        "Pat P.",
        "Asia/Tokyo",
        date(2026, 2, 1),
    )
    checkin.refresh_from_db()
    assert checkin.part_of_day == "afternoon"  # 03:00 UTC is 12:00 in Tokyo
    assert "Settings saved." in status_messages(client.get("/settings"))


def test_it_offers_therapists_no_therapy_start_date(therapist: Any) -> None:
    client = signed_in(therapist)
    assert "therapy_started_on" not in text(client.get("/settings"))
    response = submit(client, "/settings", {"display_name": "Dr Thea", "timezone": "Europe/Paris"})
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert (therapist.display_name, therapist.timezone) == ("Dr Thea", "Europe/Paris")
