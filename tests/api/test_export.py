"""Exports: the FHIR bundle is valid R4, and a linked therapist downloads what the patient would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from fhir.resources.R4B.bundle import Bundle

from tests.conftest import checkin_body

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_the_fhir_export_is_a_valid_bundle_with_loinc_codes_and_local_times(patient: Any, api: Any) -> None:
    """Pain is LOINC 72514-3 and weight 29463-7; times carry the patient's own offset (London: +00:00)."""
    client = api(patient)
    client.post(
        "checkins",
        checkin_body(
            recorded_at="2026-03-10T08:30:00Z",
            pain=6,
            fatigue=5,
            sleep_hours=6.5,
            weight_kg=70.2,
            symptoms=["night_sweats"],
        ),
    )
    response = client.get("export", format="fhir")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"

    bundle = Bundle.model_validate(response.json())
    observations = [entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == "Observation"]
    by_code = {coding.code: obs for obs in observations for coding in (obs.code.coding or [])}
    assert by_code["72514-3"].valueQuantity.value == 6
    assert float(by_code["29463-7"].valueQuantity.value) == 70.2
    assert by_code["29463-7"].valueQuantity.code == "kg"
    assert {obs.code.text for obs in observations} >= {"Tiredness right now (0-10)", "Heavy sweating at night"}
    assert len(observations) == 5
    raw = [entry["resource"] for entry in response.json()["entry"]]
    times = {resource["effectiveDateTime"] for resource in raw if resource["resourceType"] == "Observation"}
    assert times == {"2026-03-10T08:30:00+00:00"}


@time_machine.travel(NOW, tick=False)
def test_a_linked_therapist_downloads_what_the_patient_would(patient: Any, therapist: Any, api: Any) -> None:
    api(patient).post("checkins", checkin_body(recorded_at="2026-03-10T08:30:00Z", pain=4, notes="=1+1"))
    for export_format in ("json", "csv", "fhir"):
        own = api(patient).get("export", format=export_format)
        theirs = api(therapist).get(f"patients/{patient.pk}/export", format=export_format)
        assert theirs.status_code == 200
        if export_format == "json":
            # The patient's own also says who has seen the diary (test_audit.py); the rest is the same.
            assert {**own.json(), "access_log": None} == {**theirs.json(), "access_log": None}
        else:
            assert theirs.content == own.content
    assert "'=1+1" in api(therapist).get(f"patients/{patient.pk}/export", format="csv").content.decode()


def test_an_unlinked_or_ended_therapist_gets_404(
    patient: Any, therapist: Any, unlinked_therapist: Any, ended_therapist: Any, api: Any
) -> None:
    for outsider in (unlinked_therapist, ended_therapist):
        assert api(outsider).get(f"patients/{patient.pk}/export", format="json").status_code == 404


def test_a_bad_format_is_a_400_for_the_therapist_too(patient: Any, therapist: Any, api: Any) -> None:
    response = api(therapist).get(f"patients/{patient.pk}/export", format="xml")
    assert response.status_code == 400
    assert "format" in response.json()
