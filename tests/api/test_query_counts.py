"""The busiest API calls read the database a fixed number of times, whatever the history behind them (issue 16).

Each pin counts the queries one request makes with a patient-year of check-ins behind it, so that
a repeated read (a second load of the stored flags, of the acknowledgements, of the diary) fails
here rather than in production's load test. A check-in's flags are judged on the last
RECENT_HISTORY_DAYS, and the older check-ins are read (one query more) only when a flag's run
could reach them; either way the stored flags are what the whole diary gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary import flags, services
from diary.models import CheckIn, User
from tests.api.test_flags import assert_stored_flags_are_fresh
from tests.conftest import PASSWORD, Api, checkin_body

pytestmark = pytest.mark.django_db


def a_year_of(patient: User, *, weight_from: float | None = None, days: int = 365) -> None:
    """Two check-ins a day for `days` days; with `weight_from`, weighed weekly and losing 0.05 kg a day."""
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    rows = []
    for days_ago in range(days, 0, -1):
        for hour in (8, 20):
            recorded_at = now - timedelta(days=days_ago, hours=12 - hour)
            local_date, part_of_day = services.local_moment(recorded_at, patient.timezone)
            weighed = weight_from is not None and days_ago % 7 == 0 and hour == 8
            rows.append(
                CheckIn(
                    patient=patient,
                    recorded_at=recorded_at,
                    local_date=local_date,
                    part_of_day=part_of_day,
                    pain=2 + days_ago % 3,
                    fatigue=3,
                    movement_effect="worse",
                    weight_kg=round(weight_from - 0.05 * (days - days_ago), 1) if weighed else None,
                    symptoms=["night_sweats"] if days_ago < 5 else [],
                )
            )
    CheckIn.objects.bulk_create(rows)
    flags.flags_refresh(patient=patient)


def counted(call: Any) -> tuple[Any, list[str]]:
    """The response and the statements it took (savepoints left out: a test runs in a transaction)."""
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def diary_reads(queries: list[str]) -> list[str]:
    """The reads of a stretch of the diary's check-ins (not the look-up of one client_uuid)."""
    return [q for q in queries if q.startswith("SELECT") and 'FROM "diary_checkin"' in q and '"local_date" >=' in q]


class TestAPatientsReads:
    """Pat, a patient with a year of check-ins, reads her own diary."""

    @pytest.fixture
    def client(self, patient: User) -> Api:
        a_year_of(patient)
        return Api(patient)

    def test_me_is_the_session_and_the_user(self, client: Api) -> None:
        response, queries = counted(lambda: client.get("me"))
        assert response.status_code == 200
        assert len(queries) == 2, queries

    def test_flags_add_the_stored_flags_and_the_acknowledgements(self, client: Api) -> None:
        response, queries = counted(lambda: client.get("flags"))
        assert response.status_code == 200 and response.json()["flags"]
        assert len(queries) == 4, queries
        assert sum('FROM "diary_flagacknowledgement"' in q for q in queries) == 1

    def test_flags_without_an_active_flag_read_no_acknowledgements(self, patient: User) -> None:
        """Nothing to mark acknowledged: the session, the user and the stored flags."""
        flags.flags_refresh(patient=patient)
        client = Api(patient)
        client.get("me")  # signed in before counting
        response, queries = counted(lambda: client.get("flags"))
        assert response.status_code == 200 and response.json()["flags"] == []
        assert len(queries) == 3, queries
        assert not any('FROM "diary_flagacknowledgement"' in q for q in queries)

    def test_ninety_days_of_trends_add_the_checkins_and_the_doses(self, client: Api) -> None:
        response, queries = counted(lambda: client.get("trends", days=90))
        assert response.status_code == 200 and len(response.json()["days"]) == 90
        assert len(queries) == 6, queries
        # Only the fields a day's row is made of: not the notes, locations, or the row's own times.
        checkins = next(query for query in queries if 'FROM "diary_checkin"' in query)
        assert '"notes"' not in checkins and '"created_at"' not in checkins


class TestACheckin:
    """A check-in on a diary kept for a year: one read of the recent history, one of the rest if needed."""

    def post(self, patient: User) -> tuple[Any, list[str]]:
        client = Api(patient)
        token = client._token()
        body = checkin_body(pain=5)
        return counted(
            lambda: client.client.post(
                "/api/v1/checkins", body, content_type="application/json", headers={"X-CSRFToken": token}
            )
        )

    def test_a_year_whose_flags_began_lately_is_read_once(self, patient: User) -> None:
        """Session, user, the client_uuid looked up, the diary's lock, its stored flags, its recent check-ins
        and doses, the insert, the new flags, the acknowledgements (read once: for the news and the answer)."""
        a_year_of(patient)
        response, queries = self.post(patient)
        assert response.status_code == 201
        assert len(queries) == 10, queries
        checkin_reads = diary_reads(queries)
        assert len(checkin_reads) == 1, checkin_reads
        assert sum('FROM "diary_flagacknowledgement"' in q for q in queries) == 1
        assert sum('FROM "diary_flagstate"' in q for q in queries) == 1
        assert_stored_flags_are_fresh(patient)

    def test_a_flag_whose_run_reaches_past_the_recent_history_reads_the_rest(self, patient: User) -> None:
        """Weight falling all year: weight_loss has held for months, so the older check-ins are read too,
        and the stored flags are the whole diary's."""
        a_year_of(patient, weight_from=90.0)
        response, queries = self.post(patient)
        assert response.status_code == 201
        checkin_reads = diary_reads(queries)
        assert len(checkin_reads) == 2, checkin_reads
        stored = assert_stored_flags_are_fresh(patient)
        weight = next(flag for flag in stored.flags if flag["code"] == "weight_loss")
        assert weight["since"] < (datetime.now(UTC).date() - timedelta(days=flags.RECENT_HISTORY_DAYS)).isoformat()

    def test_the_first_checkin_of_a_new_day_judges_the_day_before_from_the_same_read(self, patient: User) -> None:
        """The stored flags are yesterday's: the diary read for the new flags serves the "before" too."""
        import time_machine

        a_year_of(patient)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=1)):
            response, queries = self.post(patient)
        assert response.status_code == 201
        checkin_reads = diary_reads(queries)
        assert len(checkin_reads) == 1, checkin_reads


def test_the_patient_list_takes_the_same_queries_for_two_patients_or_six(therapist: User) -> None:
    """Session, user, the second step's device, the patients, their stored flags, acknowledgements,
    adherence (check-in days counted by the database, reminders) and the audit's one insert."""
    client = Api(therapist)
    response, two = counted(lambda: client.get("patients"))
    assert response.status_code == 200 and len(response.json()) == 2
    for n in range(4):
        extra = services.patient_signup(email=f"p{n}@example.com", password=PASSWORD, timezone_name="Asia/Kolkata")
        services.link_create(patient=extra, invite_code=therapist.invite_code)
        a_year_of(extra, days=40)
    response, six = counted(lambda: client.get("patients"))
    assert response.status_code == 200 and len(response.json()) == 6
    assert len(six) == len(two) == 9, six
    assert {row["adherence"]["last_30_days"] for row in response.json()[:6]} >= {30}
