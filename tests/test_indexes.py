"""The hot queries use an index on a clinic-sized table, on PostgreSQL: EXPLAIN shows no sequential scan.

A patient's window of check-ins (the trend module's history, the trends page and API, the
therapist's page of one patient), a patient's doses window, and the therapist's list are each
run for real through their URLs, the queries they send are captured, and PostgreSQL's plan of
each is read. The table is filled by generate_scale (800 patients × 45 days, one therapist with
16 of them: the shares of a clinic of 10,000 with a caseload of 200) and ANALYZEd, so the planner
chooses as it would on a real one; a plan that reads the whole check-ins table would
make every page slower with every patient the clinic adds.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from diary.flags import flags_refresh_many, trend_doses, trend_entries
from diary.models import CareLink, User
from diary.selectors import today_for
from tests.conftest import pass_second_step

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner (set DATABASE_URL)"),
]

WATCHED = ("diary_checkin", "diary_dose")


def plans_of(queries: list[dict[str, Any]]) -> dict[str, str]:
    """PostgreSQL's plan of each captured query that reads check-ins or doses, by its SQL."""
    plans = {}
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and any(f'"{table}"' in sql for table in WATCHED):
                cursor.execute(f"EXPLAIN {sql}")
                plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def sequential_scans(plans: dict[str, str]) -> dict[str, str]:
    return {sql: plan for sql, plan in plans.items() if any(f"Seq Scan on {table}" in plan for table in WATCHED)}


@pytest.fixture
def clinic(db: Any) -> tuple[User, User]:
    """A clinic's diaries, analysed; its therapist, and one of her patients."""
    call_command(
        "generate_scale",
        "--i-know-this-is-not-production",
        patients=800,
        days=45,
        caseload=16,
        prefix="explain",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    therapist = User.objects.get(email="explain-therapist@example.invalid")
    patient = CareLink.objects.filter(therapist=therapist).select_related("patient").first().patient  # type: ignore[union-attr]
    # Fresh flags for the caseload, so the pages read stored flags as on an ordinary day.
    flags_refresh_many(patients=list(User.objects.filter(links_as_patient__therapist=therapist)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return therapist, patient


def captured(run: Any) -> list[dict[str, Any]]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return queries.captured_queries


def test_the_hot_queries_read_check_ins_and_doses_through_an_index(clinic: tuple[User, User]) -> None:
    therapist, patient = clinic
    as_patient = Client()
    as_patient.force_login(patient)
    as_therapist = Client()
    as_therapist.force_login(therapist)
    pass_second_step(as_therapist, therapist)

    today = today_for(patient)
    month = f"since={today - timedelta(days=29)}&until={today}"

    def get(client: Client, url: str) -> None:
        assert client.get(url).status_code == 200, url

    runs = {
        "trend_entries (the flags' history)": lambda: trend_entries([patient], as_of={patient.pk: today_for(patient)}),
        "trend_doses": lambda: trend_doses([patient], as_of={patient.pk: today_for(patient)}),
        "the trends page": lambda: get(as_patient, "/trends?days=90"),
        "a chart of 90 days": lambda: get(as_patient, "/trends/charts/pain.svg"),
        "GET /api/v1/trends?days=90": lambda: get(as_patient, "/api/v1/trends?days=90"),
        "GET /api/v1/checkins, a month": lambda: get(as_patient, f"/api/v1/checkins?{month}"),
        "GET /api/v1/doses, a month": lambda: get(as_patient, f"/api/v1/doses?{month}"),
        "the therapist's list page": lambda: get(as_therapist, "/"),
        "GET /api/v1/patients": lambda: get(as_therapist, "/api/v1/patients"),
        "the therapist's page of a patient": lambda: get(as_therapist, f"/patients/{patient.pk}?days=90"),
    }
    checked = {}
    for name, run in runs.items():
        plans = plans_of(captured(run))
        assert plans, f"{name} read no check-ins or doses: the test no longer looks at what it means to"
        checked[name] = sequential_scans(plans)
    assert {name: scans for name, scans in checked.items() if scans} == {}


def test_without_its_indexes_a_patients_window_reads_the_whole_table(clinic: tuple[User, User]) -> None:
    """Guards the test above: the table is big enough that the plans it reads would show a missing index."""
    _, patient = clinic
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'diary_checkin' AND indexdef LIKE '%patient_id%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')  # inside the test's transaction: rolled back after it
        cursor.execute("ANALYZE diary_checkin")
    plans = plans_of(captured(lambda: trend_entries([patient], as_of={patient.pk: today_for(patient)})))
    assert list(sequential_scans(plans).values()) == list(plans.values())
    assert len(plans) == 1
