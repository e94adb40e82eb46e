"""Issue 12, the outside probe's findings about the access audit, the admin, erasure and consent.

Pat keeps a diary; Olive is another patient; Thea is their therapist; Uma is a therapist nobody
linked to.
"""

from __future__ import annotations

from typing import Any

import pytest

from diary.models import AuditEvent
from tests.conftest import PASSWORD


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
