"""Issue 12, the outside probe's findings about the access audit, the admin, erasure and consent.

Pat keeps a diary; Olive is another patient; Thea is their therapist; Uma is a therapist nobody
linked to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from diary.models import AuditEvent
from tests.conftest import PASSWORD, signed_in
from tests.test_audit_routes import patient_routes


@pytest.mark.parametrize("path", ["export/", "links/", "export", "links"])
def test_finding_10_slash_twins_are_audited_like_their_route(patient: Any, therapist: Any, api: Any, path: str) -> None:
    """`/api/v1/export/` and `/api/v1/links/` are the same acts as without the slash, and recorded the same."""
    client = api(patient)
    if path.startswith("links"):
        assert client.post(path, {"invite_code": therapist.invite_code}).status_code == 200
        action = "api:links"
    else:
        assert client.get(path, format="json").status_code == 200
        action = "api:export"
    rows = AuditEvent.objects.filter(actor_user_id=patient.pk, action=action)
    assert list(rows.values_list("patient_user_id", "allowed")) == [(patient.pk, True)]


def test_finding_19_erasing_the_account_clears_the_phones_data(patient: Any, api: Any) -> None:
    """Like signing out: the browser empties its caches and storage (the offline outbox, the worker's cache)."""
    response = api(patient).delete("me", {"password": PASSWORD})
    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_finding_20c_a_therapist_listing_links_is_recorded_per_patient_shown(
    patient: Any, other_patient: Any, therapist: Any, api: Any
) -> None:
    """GET links shows a therapist their patients' names, so it is recorded like GET patients."""
    assert api(therapist).get("links").status_code == 200
    rows = AuditEvent.objects.filter(actor_user_id=therapist.pk, action="api:links")
    assert sorted(rows.values_list("patient_user_id", flat=True)) == sorted([patient.pk, other_patient.pk])
    assert set(rows.values_list("allowed", flat=True)) == {True}


def _url(route: str, patient_id: int) -> str:
    """A real URL for a route that names a patient (other ids and codes made up)."""
    url = "/" + route.replace("<int:patient_id>", str(patient_id))
    url = re.sub(r"<int:\w+>", "999999", url)
    return re.sub(r"<(?:\w+:)?\w+>", "x", url)


PATIENT_ROUTES = patient_routes()


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_options_by_an_unlinked_therapist_is_404_and_recorded_as_refused(
    patient: Any, therapist: Any, unlinked_therapist: Any, route: str, name: str
) -> None:
    """API.md: a therapist not linked gets 404 on every path under patients/{id}/, OPTIONS included."""
    response = signed_in(unlinked_therapist).options(_url(route, patient.pk))
    assert response.status_code == 404
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk)
    assert rows.filter(allowed=True).count() == 0
    assert rows.filter(allowed=False).count() == 1


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_options_by_her_therapist_is_not_recorded_as_an_access(
    patient: Any, therapist: Any, route: str, name: str
) -> None:
    """OPTIONS shows no diary: whatever it answers her own therapist, "Who has seen my diary" gains no "allowed" row."""
    signed_in(therapist).options(_url(route, patient.pk))
    assert AuditEvent.objects.filter(patient_user_id=patient.pk, allowed=True).count() == 0


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_a_therapist_held_at_the_second_step_is_recorded_as_refused(
    patient: Any, therapist: Any, route: str, name: str
) -> None:
    """Only the password passed: the page sends her to /two-step (the API answers 403); nothing was shown."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(therapist)
    response = client.get(_url(route, patient.pk))
    assert response.status_code in (302, 403)
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk)
    assert list(rows.values_list("allowed", flat=True)) == [False]
