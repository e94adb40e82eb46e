"""As-needed doses on the trend pages: the bars under the pain chart, their sentence and table, the relief
answers, and pain reliever use since therapy began (CLINICAL.md "Medicines and breakthrough pain")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import pytest
import time_machine

from diary import medication, services
from diary.models import Dose
from tests.conftest import signed_in
from tests.frontend.pages import text

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 12:00 in London


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def take(patient: Any, medicine: Any, days_ago: int, count: int = 1) -> None:
    for _ in range(count):
        when = NOW - timedelta(days=days_ago, hours=2)
        medication.dose_create(patient=patient, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=when)


def check_in(patient: Any, days_ago: int, pain: int = 4) -> None:
    when = NOW - timedelta(days=days_ago, hours=1)
    services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=when, pain=pain)


@pytest.fixture
def oxycodone(patient: Any) -> Any:
    return medication.medicine_create(patient=patient, name="oxycodone", strength="5 mg", kind="as_needed")


def pages(patient: Any, therapist: Any) -> dict[str, str]:
    return {
        "trends": text(signed_in(patient).get("/trends?days=7")),
        "patient page": text(signed_in(therapist).get(f"/patients/{patient.pk}?days=7")),
        "summary": text(signed_in(therapist).get(f"/patients/{patient.pk}/summary?days=7")),
    }


def test_the_doses_chart_its_sentence_and_table_are_under_the_pain_chart(
    patient: Any, therapist: Any, oxycodone: Any
) -> None:
    take(patient, oxycodone, days_ago=0, count=3)
    take(patient, oxycodone, days_ago=1)
    check_in(patient, days_ago=2)
    Dose.objects.filter(patient=patient).update(relief="none")
    Dose.objects.filter(pk=Dose.objects.filter(patient=patient).first().pk).update(relief="good")  # type: ignore[union-attr]

    for where, content in pages(patient, therapist).items():
        assert "Pain reliever doses (as needed)" in content, where
        assert content.index('id="chart-pain-summary"') < content.index('id="chart-doses-summary"'), where
        assert (
            "As-needed doses: 0–3 a day, 1.3 on average, on 3 of the 7 days from Mar 4 to Mar 10 (days with a "
            "record). Relief, of 4 doses rated: none 3, good 1."
        ) in content, where
        assert "chart-doses-caption" in content, where
        assert "/charts/doses.svg?start=2026-03-04&amp;end=2026-03-10" in content, where


def test_a_patient_without_doses_or_an_as_needed_medicine_gets_no_doses_chart(patient: Any, therapist: Any) -> None:
    check_in(patient, days_ago=1)
    medication.medicine_create(patient=patient, name="paracetamol", kind="regular")

    for where, content in pages(patient, therapist).items():
        assert "Pain reliever doses" not in content, where
        assert "chart-doses" not in content, where
        assert "Pain reliever use" not in content, where


def test_the_doses_chart_is_an_svg_image(patient: Any, oxycodone: Any) -> None:
    take(patient, oxycodone, days_ago=0, count=2)

    response = signed_in(patient).get("/trends/charts/doses.svg?start=2026-03-04&end=2026-03-10")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    ElementTree.fromstring(response.content)  # noqa: S314 (our own server's SVG)


def test_pain_reliever_use_since_therapy_began_on_the_therapists_page_and_the_summary(
    patient: Any, therapist: Any, oxycodone: Any
) -> None:
    patient.therapy_started_on = date(2026, 2, 20)
    patient.save()
    for days_ago in range(19, 25):  # 12 to 19 February: the 7 days before therapy began (6 with a record)
        take(patient, oxycodone, days_ago=days_ago, count=3)
    for days_ago in range(5):  # the last 7 days: 5 with a record
        take(patient, oxycodone, days_ago=days_ago, count=1 if days_ago else 2)

    found = pages(patient, therapist)

    sentence = "Pain reliever use: 3 → 1.2 a day since therapy began"
    assert sentence in found["patient page"]
    assert "<dt>Pain reliever use</dt><dd>3 → 1.2 a day since therapy began" in found["summary"]


def test_pain_reliever_use_is_not_shown_with_too_few_days_before_therapy(
    patient: Any, therapist: Any, oxycodone: Any
) -> None:
    patient.therapy_started_on = date(2026, 2, 20)
    patient.save()
    for days_ago in range(19, 22):  # 3 days with a record before therapy: too few
        take(patient, oxycodone, days_ago=days_ago, count=3)
    for days_ago in range(5):
        take(patient, oxycodone, days_ago=days_ago)

    for content in pages(patient, therapist).values():
        assert "Pain reliever use" not in content
