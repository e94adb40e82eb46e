"""What a therapist sees: their patients, and one patient's diary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary import services
from diary.invite_codes import format_invite_code
from tests.conftest import PASSWORD, signed_in
from tests.frontend.pages import text

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def checkin(patient: Any, when: datetime, **fields: Any) -> Any:
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=when, **fields).checkin


@time_machine.travel(NOW, tick=False)
def test_it_lists_linked_patients_with_their_last_checkin(patient: Any, other_patient: Any, therapist: Any) -> None:
    checkin(patient, NOW - timedelta(hours=3, minutes=48), pain=4)
    checkin(other_patient, NOW - timedelta(days=3), pain=2)

    response = signed_in(therapist).get("/")

    content = text(response)
    assert response.status_code == 200
    assert "Pat Patient" in content
    assert "Olive Other" in content
    assert "today 08:12" in content
    assert "3 days ago" in content
    assert f'href="/patients/{patient.pk}"' in content
    assert format_invite_code(therapist.invite_code) in content


def test_it_lists_any_number_of_patients_in_the_same_number_of_queries(therapist: Any) -> None:
    client = signed_in(therapist)
    with CaptureQueriesContext(connection) as two:
        assert client.get("/").status_code == 200

    for n in range(4):
        extra = services.patient_signup(email=f"p{n}@example.com", password=PASSWORD, timezone_name="UTC")
        services.link_create(patient=extra, invite_code=therapist.invite_code)
        checkin(extra, datetime.now(UTC) - timedelta(hours=n + 1), pain=n)
    with CaptureQueriesContext(connection) as six:
        response = client.get("/")

    assert text(response).count('href="/patients/') == 6
    assert len(six) == len(two), [q["sql"] for q in six.captured_queries]
    # Session, user, the second step's device, patients with their last check-in, stored flags,
    # acknowledgements, everyone's pain of the last 14 days, and the access audit's rows (one insert);
    # adherence: everyone's days with a check-in of the last 30, and whose reminders are on.
    assert len(six) <= 10


def test_it_shows_a_linked_patients_checkins(patient: Any, therapist: Any) -> None:
    """In Pat's own time: 23:30 UTC on 1 July is 00:30 on 2 July in London."""
    when = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    with time_machine.travel(when + timedelta(minutes=1), tick=False):
        checkin(
            patient,
            when,
            pain=7,
            fatigue=6,
            movement_effect="no_change",
            symptoms=["night_sweats"],
            weight_kg=70.5,
            notes="woke twice",
        )
        response = signed_in(therapist).get(f"/patients/{patient.pk}")

    content = text(response)
    assert response.status_code == 200
    assert "<caption" in content
    assert '<th scope="col">Pain and tiredness (0–10)</th>' in content
    assert "Thu 2 Jul 2026" in content
    assert "00:30" in content
    assert "Night" in content
    assert "moving: no difference" in content
    assert "Heavy sweating at night" in content
    assert "70.5" in content
    assert "woke twice" in content
    assert "Europe/London" in content


@time_machine.travel(NOW, tick=False)
def test_a_timeline_row_says_what_was_not_given_and_escapes_the_note(patient: Any, therapist: Any) -> None:
    """The rows are made in Python (frontend/templatetags/timeline.py): the same words, still escaped."""
    checkin(patient, NOW - timedelta(hours=1), symptoms=["night_sweats"], notes="<script>x</script> & more")

    content = re.sub(r">\s+<", "><", text(signed_in(therapist).get(f"/patients/{patient.pk}")))

    assert "Pain not given" in content
    assert "Tiredness not given" in content
    assert '<td class="checkin-body"><span class="hint">None given</span></td>' in content
    assert '<span class="notes">&lt;script&gt;x&lt;/script&gt; &amp; more</span>' in content
    assert "<script>x</script>" not in content
    assert '<span class="visually-hidden">Symptoms: </span><ul class="plain-list"><li>' in content


def test_it_hides_patients_from_unlinked_and_ended_therapists(
    patient: Any, unlinked_therapist: Any, ended_therapist: Any
) -> None:
    checkin(patient, datetime.now(UTC) - timedelta(hours=1), pain=3, notes="only for Thea")
    for outsider in (unlinked_therapist, ended_therapist):
        response = signed_in(outsider).get(f"/patients/{patient.pk}")
        assert response.status_code == 404
        assert "only for Thea" not in text(response)
        assert "Pat Patient" not in text(response)


def test_it_keeps_patients_off_therapist_pages(patient: Any) -> None:
    assert signed_in(patient).get(f"/patients/{patient.pk}").status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(patient: Any) -> None:
    response = signed_in(None).get(f"/patients/{patient.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/login?next=/patients/{patient.pk}"
