"""No health data in logs or URLs: a whole session is logged at DEBUG and searched for what it sent."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import checkin_body

NOTE = "privately-noted-9f3c"


def test_a_full_session_leaves_no_notes_or_scores_in_the_logs(
    patient: Any, therapist: Any, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mine = api(patient)
    created = mine.post("checkins", checkin_body(pain=9, fatigue=8, notes=NOTE, symptoms=["blood_in_urine"]))
    assert created.status_code == 201
    checkin_id = created.json()["id"]
    # Refused input is logged by Django as a warning; the body must not be.
    assert mine.post("checkins", checkin_body(pain=11, notes=NOTE)).status_code == 400
    assert mine.post("checkins", checkin_body(notes=NOTE + "x" * 2000)).status_code == 400
    mine.patch(f"checkins/{checkin_id}", {"notes": NOTE + "-edited"})
    mine.get("checkins")
    mine.get("export", format="csv")
    mine.get("flags")
    theirs = api(therapist)
    theirs.get(f"patients/{patient.pk}/checkins")
    theirs.post(f"patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge", {"note": NOTE + "-ack"})
    theirs.get(f"patients/{patient.pk}/export", format="json")
    theirs.get("patients/999999/checkins")  # a 404, logged

    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    assert caplog.records, "the session logged nothing at all: the capture is not working"
    assert NOTE not in logged
    assert "blood_in_urine" not in logged
    assert '"pain": 9' not in logged and "pain=9" not in logged
