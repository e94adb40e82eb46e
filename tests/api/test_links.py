"""Care links through /api/v1/links and what a therapist reads through /api/v1/patients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import ScopedRateThrottle

from diary import consent, services
from diary.models import CareLink, User
from tests.conftest import PASSWORD, checkin_body

# Uma's code in the tests that type it by hand: it has the 0s and 1s people misread.
CODE = "AB01CD01EF"


@pytest.fixture
def uma(unlinked_therapist: Any) -> Any:
    """Uma, the unlinked therapist, with a known invite code."""
    User.objects.filter(pk=unlinked_therapist.pk).update(invite_code=CODE)
    unlinked_therapist.refresh_from_db()
    return unlinked_therapist


@pytest.mark.parametrize(
    "typed",
    [CODE, "ab01cd01ef", "AB01C-D01EF", "ab01c-d01ef", " AB01C D01EF ", "ABOICDOIEF", "aboicdolef", "AB-OL-CD-0I-EF"],
)
def test_it_links_a_patient_by_invite_code_as_people_type_it(patient: Any, uma: Any, api: Any, typed: str) -> None:
    """Case, dashes, spaces and O/0, I/1, L/1 confusions all find the therapist: 201 with the link."""
    response = api(patient).post("links", {"invite_code": typed, "consent_version": consent.VERSION})

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"id", "therapist", "created_at"}
    assert data["therapist"] == {"id": uma.pk, "display_name": "Uma Unlinked"}
    link = CareLink.objects.get(therapist=uma)
    assert (link.pk, link.patient, link.ended_at) == (data["id"], patient, None)
    assert datetime.fromisoformat(data["created_at"]) == link.created_at


def test_it_answers_an_existing_link_again_with_200(patient: Any, uma: Any, api: Any) -> None:
    """Linking twice to the same therapist is 200 with the same link, and no second row."""
    client = api(patient)
    first = client.post("links", {"invite_code": CODE, "consent_version": consent.VERSION})
    again = client.post("links", {"invite_code": "ab01c-d01ef", "consent_version": consent.VERSION})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert CareLink.objects.filter(therapist=uma).count() == 1


@pytest.mark.parametrize("typed", ["AB01CD01EE", "AB01CD01E", "AB01CD01EFA", "----", "ZZZZZZZZZZ"])
def test_it_answers_an_unknown_code_with_404(patient: Any, uma: Any, api: Any, typed: str) -> None:
    """A code no therapist has is 404 and links nobody."""
    response = api(patient).post("links", {"invite_code": typed, "consent_version": consent.VERSION})
    assert response.status_code == 404
    assert "Uma" not in response.content.decode()
    assert not CareLink.objects.filter(therapist=uma).exists()


@pytest.mark.parametrize("body", [{}, {"invite_code": ""}, {"invite_code": None}, {"invite_code": "X" * 33}])
def test_it_refuses_a_missing_or_absurd_code_with_400(patient: Any, api: Any, body: dict[str, Any]) -> None:
    """No code, or one far longer than any code, is a bad request."""
    response = api(patient).post("links", body)
    assert response.status_code == 400
    assert "invite_code" in response.json()
    assert not CareLink.objects.exists()


def test_it_does_not_link_to_a_deactivated_therapist(patient: Any, uma: Any, api: Any) -> None:
    """A therapist whose account the clinic switched off cannot be linked to: 404."""
    User.objects.filter(pk=uma.pk).update(is_active=False)
    response = api(patient).post("links", {"invite_code": CODE, "consent_version": consent.VERSION})
    assert response.status_code == 404
    assert not CareLink.objects.exists()


def test_it_refuses_a_therapist_linking(therapist: Any, uma: Any, api: Any) -> None:
    """Only patients share a diary: a therapist posting a code gets 403 and no link."""
    response = api(therapist).post("links", {"invite_code": CODE, "consent_version": consent.VERSION})
    assert response.status_code == 403
    assert not CareLink.objects.filter(therapist=uma).exists()


def test_it_throttles_guessing_invite_codes(patient: Any, uma: Any, api: Any) -> None:
    """Past the link rate even the right code is refused with 429, so codes cannot be guessed quickly."""
    allowed = ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES["link"])[0]
    client = api(patient)
    for attempt in range(allowed):
        assert (
            client.post(
                "links", {"invite_code": f"ZZZZZZZZ{attempt:02d}", "consent_version": consent.VERSION}
            ).status_code
            == 404
        )
    response = client.post("links", {"invite_code": CODE, "consent_version": consent.VERSION})
    assert response.status_code == 429
    assert not CareLink.objects.filter(therapist=uma).exists()
    # Reading links is not throttled.
    assert client.get("links").status_code == 200


def test_it_stops_an_old_code_once_the_therapist_rotates_it(
    patient: Any, other_patient: Any, uma: Any, api: Any
) -> None:
    """After invite_code_rotate the old code is 404, the new one links, and existing links stay."""
    assert (
        api(other_patient).post("links", {"invite_code": CODE, "consent_version": consent.VERSION}).status_code == 201
    )
    new_code = services.invite_code_rotate(therapist=uma)

    old = api(patient).post("links", {"invite_code": CODE, "consent_version": consent.VERSION})
    new = api(patient).post("links", {"invite_code": new_code.lower(), "consent_version": consent.VERSION})

    assert new_code != CODE
    assert old.status_code == 404
    assert new.status_code == 201
    assert api(uma).get("me").json()["invite_code"] == new_code
    assert set(CareLink.objects.filter(therapist=uma).values_list("patient_id", flat=True)) == {
        patient.pk,
        other_patient.pk,
    }


def test_it_relinks_after_a_link_ended(patient: Any, ended_therapist: Any, api: Any) -> None:
    """A patient can share again with a therapist after ending it: a new link, and access is back."""
    ed = api(ended_therapist)
    assert ed.get(f"patients/{patient.pk}/checkins").status_code == 404

    response = api(patient).post(
        "links", {"invite_code": ended_therapist.invite_code, "consent_version": consent.VERSION}
    )

    assert response.status_code == 201
    assert CareLink.objects.filter(patient=patient, therapist=ended_therapist).count() == 2
    assert CareLink.objects.filter(patient=patient, therapist=ended_therapist, ended_at__isnull=True).count() == 1
    assert ed.get(f"patients/{patient.pk}/checkins").status_code == 200


# --- listing ------------------------------------------------------------------


def test_it_lists_a_patients_active_links_with_the_therapist(
    patient: Any, therapist: Any, ended_therapist: Any, api: Any
) -> None:
    """A patient sees their active links as {id, therapist, created_at}; ended ones are gone."""
    response = api(patient).get("links")
    assert response.status_code == 200
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    assert response.json() == [
        {
            "id": link.pk,
            "therapist": {"id": therapist.pk, "display_name": "Thea Therapist"},
            "created_at": response.json()[0]["created_at"],
        }
    ]
    assert datetime.fromisoformat(response.json()[0]["created_at"]) == link.created_at


def test_it_lists_a_therapists_links_with_the_patient(
    patient: Any, other_patient: Any, therapist: Any, api: Any
) -> None:
    """A therapist sees the patient side of each of their links, and not themself."""
    response = api(therapist).get("links")
    assert response.status_code == 200
    rows = response.json()
    assert all(set(row) == {"id", "patient", "created_at"} for row in rows)
    assert sorted((row["patient"]["id"], row["patient"]["display_name"]) for row in rows) == sorted(
        [(patient.pk, "Pat Patient"), (other_patient.pk, "Olive Other")]
    )
    assert {row["id"] for row in rows} == set(CareLink.objects.filter(therapist=therapist).values_list("id", flat=True))
    assert "thea@example.com" not in response.content.decode()


def test_it_lists_nothing_for_someone_without_links(unlinked_therapist: Any, api: Any) -> None:
    """No links is an empty list."""
    assert api(unlinked_therapist).get("links").json() == []


# --- ending a link --------------------------------------------------------------


@pytest.mark.parametrize("side", ["patient", "therapist"])
def test_it_ends_a_link_from_either_side_and_access_stops_at_once(
    patient: Any, other_patient: Any, therapist: Any, api: Any, side: str
) -> None:
    """DELETE links/{id} is 204; the therapist's next request for that patient is 404, other links go on."""
    api(patient).post("checkins", checkin_body())
    thea = api(therapist)
    assert thea.get(f"patients/{patient.pk}/checkins").status_code == 200
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    ender = patient if side == "patient" else therapist

    response = api(ender).delete(f"links/{link.pk}")

    assert response.status_code == 204
    link.refresh_from_db()
    assert link.ended_at is not None
    assert link.ended_by == ender
    assert thea.get(f"patients/{patient.pk}/checkins").status_code == 404
    assert [row["id"] for row in thea.get("patients").json()] == [other_patient.pk]
    assert api(patient).get("links").json() == []
    assert thea.get(f"patients/{other_patient.pk}/checkins").status_code == 200
    # Ending it again: it is no longer an active link anyone can see.
    assert api(ender).delete(f"links/{link.pk}").status_code == 404


def test_it_does_not_let_a_stranger_end_a_link(
    patient: Any, other_patient: Any, therapist: Any, unlinked_therapist: Any, api: Any
) -> None:
    """Olive and Uma get 404 for Pat's link to Thea, which stays active."""
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    for stranger in (other_patient, unlinked_therapist):
        assert api(stranger).delete(f"links/{link.pk}").status_code == 404
    link.refresh_from_db()
    assert link.ended_at is None


# --- a therapist's patients -------------------------------------------------------


def test_it_lists_a_therapists_linked_patients_with_their_last_checkin(
    patient: Any, other_patient: Any, therapist: Any, ended_therapist: Any, api: Any
) -> None:
    """GET patients: only linked patients, each with the time of their latest check-in (or null)."""
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        pat = api(patient)
        pat.post("checkins", checkin_body(recorded_at=(now - timedelta(hours=3)).isoformat()))
        pat.post("checkins", checkin_body(recorded_at=(now - timedelta(hours=1)).isoformat()))
        pat.post("checkins", checkin_body(recorded_at=(now - timedelta(hours=2)).isoformat()))
        response = api(therapist).get("patients")

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {patient.pk, other_patient.pk}
    assert rows[patient.pk]["display_name"] == "Pat Patient"
    assert datetime.fromisoformat(rows[patient.pk]["last_checkin_at"]) == now - timedelta(hours=1)
    assert rows[other_patient.pk]["last_checkin_at"] is None
    assert "pat@example.com" not in response.content.decode()
    assert api(ended_therapist).get("patients").json() == []


def test_it_lists_patients_in_a_fixed_number_of_queries(therapist: Any, api: Any) -> None:
    """The patient list costs the same queries for five patients as for two (no query per patient)."""
    thea = api(therapist)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert thea.get("patients").status_code == 200
        return len(captured)

    two = queries_for_list()
    for number in range(3):
        person = services.patient_signup(
            email=f"extra{number}@example.com", password=PASSWORD, timezone_name="Europe/Paris"
        )
        services.link_create(patient=person, invite_code=therapist.invite_code)
        api(person).post("checkins", checkin_body())
    assert len(thea.get("patients").json()) == 5
    assert queries_for_list() == two


def test_it_shows_a_linked_therapist_the_diary_as_the_patient_sees_it(patient: Any, therapist: Any, api: Any) -> None:
    """patients/{id}/checkins answers like the patient's own checkins, filters and paging included."""
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        pat = api(patient)
        for days in range(3):
            pat.post("checkins", checkin_body(recorded_at=(now - timedelta(days=days)).isoformat(), pain=days))
        thea = api(therapist)
        for params in ({}, {"since": "2026-03-19"}, {"until": "2026-03-18"}, {"page_size": "2"}):
            theirs = thea.get(f"patients/{patient.pk}/checkins", **params)
            own = pat.get("checkins", **params)
            assert theirs.status_code == 200
            assert theirs.json()["results"] == own.json()["results"], params
            assert theirs.json()["count"] == own.json()["count"]
        assert thea.get(f"patients/{patient.pk}/checkins", since="2026-03-20", until="2026-03-19").status_code == 400
