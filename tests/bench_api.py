"""How long GET /api/v1/patients takes for a therapist with 200 patients, each with 180 days of check-ins;
and the same therapist's pages: the triage list, a patient's page with its charts, and each chart image.

Not collected by pytest (the name starts with bench_). Run from the project root:

    .venv/bin/python tests/bench_api.py                      # a throwaway in-memory SQLite
    DATABASE_URL=postgres://... .venv/bin/python tests/bench_api.py   # a throwaway test_<name> database

It builds its data in a test database made with Django's own test utilities, so it never
touches the development database, and drops it at the end. It prints the median and p90 of
the list with the stored flags fresh, the queries it takes, and the first call of a new day,
when every patient's flags are a day old and the list judges them all again.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import time_machine  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment  # noqa: E402

from diary import services  # noqa: E402
from diary.flags import flags_refresh_many  # noqa: E402
from diary.invite_codes import new_invite_code  # noqa: E402
from diary.models import CareLink, CheckIn, FlagAcknowledgement, Role, User  # noqa: E402
from frontend.drawing import CHARTS  # noqa: E402
from tests.conftest import pass_second_step  # noqa: E402

PATIENTS = 200
DAYS = 180
RUNS = 20
STALE_RUNS = 5
PAGE_RUNS = 9
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ZONES = ["Europe/London", "America/New_York", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
SYMPTOMS = ["night_sweats", "difficulty_sleeping", "urinary_change", "limb_numbness_tingling", "nausea"]
RARE_SYMPTOMS = ["blood_in_urine", "limb_weakness", "pain_worse_straining"]


def build_world(rng: random.Random) -> User:
    """A therapist, 200 linked patients, 180 days × 2–3 check-ins each, and their flags stored."""
    therapist = User.objects.create(
        email="bench-therapist@example.com",
        role=Role.THERAPIST,
        display_name="Bench Therapist",
        invite_code=new_invite_code(),
    )
    patients = User.objects.bulk_create(
        User(
            email=f"bench-{index}@example.com",
            role=Role.PATIENT,
            display_name=f"Patient {index:03}",
            timezone=ZONES[index % len(ZONES)],
            therapy_started_on=(NOW - timedelta(days=rng.randint(20, 120))).date() if index % 2 else None,
            password="!",  # unusable: nobody signs in as them
        )
        for index in range(PATIENTS)
    )
    CareLink.objects.bulk_create(CareLink(patient=patient, therapist=therapist) for patient in patients)
    rows: list[CheckIn] = []
    for patient in patients:
        rows += diary_of(patient, rng)
        if len(rows) > 20_000:
            CheckIn.objects.bulk_create(rows, batch_size=2_000)
            rows = []
    CheckIn.objects.bulk_create(rows, batch_size=2_000)
    states = flags_refresh_many(patients=patients)
    # A therapist who uses the list: about a third of the flags shown have been acknowledged once.
    acknowledgements = [
        FlagAcknowledgement(
            patient_id=patient_id,
            therapist=therapist,
            code=flag["code"],
            at=NOW - timedelta(hours=1),
            note="Seen; discussed at the last visit.",
            checkin_ids=flag["evidence"].get("checkin_ids", []),
        )
        for patient_id, state in states.items()
        for flag in state.flags
        if rng.random() < 0.33
    ]
    FlagAcknowledgement.objects.bulk_create(acknowledgements)
    return therapist


def diary_of(patient: User, rng: random.Random) -> list[CheckIn]:
    """180 days of 2–3 check-ins: mostly ordinary back pain, some weeks of worrying patterns."""
    rows = []
    worrying = rng.random() < 0.3
    weight = rng.uniform(55, 95)
    for day in range(DAYS, 0, -1):
        late = worrying and day < 21
        hours = sorted(rng.sample([2, 7, 8, 13, 18, 21], rng.choice([2, 3])))
        for hour in hours:
            recorded_at = NOW - timedelta(days=day - 1, hours=12 - hour, minutes=rng.randint(0, 59))
            if recorded_at > NOW:
                recorded_at -= timedelta(days=1)
            local_date, part_of_day = services.local_moment(recorded_at, patient.timezone)
            pain = rng.randint(4, 8) if late else rng.randint(0, 5)
            symptoms = [code for code in SYMPTOMS if rng.random() < (0.15 if late else 0.02)]
            if rng.random() < 0.003:
                symptoms.append(rng.choice(RARE_SYMPTOMS))
            rows.append(
                CheckIn(
                    patient=patient,
                    recorded_at=recorded_at,
                    local_date=local_date,
                    part_of_day=part_of_day,
                    pain=pain,
                    pain_locations=["lower_back"],
                    movement_effect=rng.choice(["worse", "no_change", "better", None]),
                    fatigue=rng.randint(3, 9) if late else rng.randint(0, 6),
                    rest_helped=rng.choice(["yes", "somewhat", "no", None]),
                    sleep_hours=round(rng.uniform(4, 9), 1) if part_of_day == "morning" else None,
                    woke_from_pain=(rng.random() < (0.5 if late else 0.1)) if part_of_day == "morning" else None,
                    weight_kg=round(weight - (0.2 * (21 - day) if late else 0), 1) if day % 7 == 0 else None,
                    exercise_minutes=rng.choice([None, 10, 20]),
                    symptoms=symptoms,
                )
            )
    return rows


def timed_get(client: Client, url: str = "/api/v1/patients") -> tuple[float, int, Any]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:500]
    return elapsed, len(captured), response


def pages(client: Client, patient: Any) -> None:
    """The therapist's pages: the triage list of 200, and one patient's page and charts over 90 days."""
    end = NOW.date()
    period = f"start={end - timedelta(days=89)}&end={end}"
    urls = {
        "GET / (triage list of 200)": "/",
        "GET /patients/<id>?days=90 (page)": f"/patients/{patient.pk}?days=90",
        "GET /patients/<id>/summary?days=90": f"/patients/{patient.pk}/summary?days=90",
        "GET /patients/<id>/sparkline.svg": f"/patients/{patient.pk}/sparkline.svg",
        **{
            f"GET /patients/<id>/charts/{kind}.svg, 90 days": f"/patients/{patient.pk}/charts/{kind}.svg?{period}"
            for kind in CHARTS
        },
    }
    for label, url in urls.items():
        timed_get(client, url)
        runs = [timed_get(client, url) for _ in range(PAGE_RUNS)]
        timings = [elapsed for elapsed, _, _ in runs]
        print(
            f"{label}, {PAGE_RUNS} runs: median {statistics.median(timings):.1f} ms, "
            f"p90 {percentile(timings, 0.9):.1f} ms; queries {sorted({count for _, count, _ in runs})}; "
            f"{len(runs[-1][2].content) / 1024:.0f} KB"
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def main() -> None:
    # As in the test suite: WhiteNoise warns when collectstatic has not run, which does not matter here.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with time_machine.travel(NOW, tick=False):
            started = time.perf_counter()
            therapist = build_world(random.Random(20260320))
            print(
                f"database: {connection.vendor}; built {User.objects.filter(role=Role.PATIENT).count()} patients, "
                f"{CheckIn.objects.count()} check-ins, {FlagAcknowledgement.objects.count()} acknowledgements "
                f"in {time.perf_counter() - started:.1f} s"
            )
            client = Client()
            client.force_login(therapist)
            pass_second_step(client, therapist)
            timed_get(client)  # warm caches and the connection
            fresh = [timed_get(client) for _ in range(RUNS)]
            timings = [elapsed for elapsed, _, _ in fresh]
            queries = {count for _, count, _ in fresh}
            response = fresh[-1][2]
            rows = response.json()
            flagged = sum(1 for row in rows if row["flags"])
            print(
                f"GET /api/v1/patients, {len(rows)} patients ({flagged} with flags), flags fresh, {RUNS} runs: "
                f"median {statistics.median(timings):.1f} ms, p90 {percentile(timings, 0.9):.1f} ms, "
                f"min {min(timings):.1f} ms; queries {sorted(queries)}; {len(response.content) / 1024:.0f} KB"
            )

            pages(client, User.objects.filter(role=Role.PATIENT).order_by("pk").first())

        stale = []
        for day in range(1, STALE_RUNS + 1):
            # Each new day, the first call finds every stored state a day old and judges all 200 again.
            with time_machine.travel(NOW + timedelta(days=day), tick=False):
                # A therapist's session lasts 30 idle minutes (diary/sessions.py): sign in again each day.
                client.force_login(therapist)
                pass_second_step(client, therapist)
                stale.append(timed_get(client))
        stale_timings = [elapsed for elapsed, _, _ in stale]
        print(
            f"GET /api/v1/patients, first call of a new day (all {PATIENTS} states stale), {STALE_RUNS} days: "
            f"median {statistics.median(stale_timings):.0f} ms, max {max(stale_timings):.0f} ms; "
            f"queries {sorted({count for _, count, _ in stale})}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
