"""The alert-load benchmark (tests/bench_alerts.py) on a tiny cohort: its replay must be sane, and quick.

Six patients × 21 days: four with plain mechanical back pain, one with ordinary noise, one whose
numb feet turn into weak legs and difficulty walking on day 12 (an emergency). The replay mirrors
the app in plain Python; the last test replays two of the diaries through the app itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine

from diary.flags import flag_acknowledge, flags_for
from tests import bench_alerts
from tests.bench_alerts import Load, Plan, generated, replay
from tests.conftest import PASSWORD

DAYS = 21
CORD_DAY = 12
PLANS = [
    *(Plan(index, noisy=False) for index in range(4)),
    Plan(4, noisy=True),
    Plan(5, noisy=False, warning="cord_compression", onset=4, event=CORD_DAY),
]


@pytest.fixture(scope="module")
def loads() -> dict[int, Load]:
    return {plan.index: replay(generated(plan, days=DAYS)) for plan in PLANS}


def test_the_diaries_are_the_same_every_time() -> None:
    assert generated(PLANS[5], days=DAYS) == generated(PLANS[5], days=DAYS)
    assert generated(PLANS[0], days=DAYS) != generated(PLANS[1], days=DAYS)


def test_weeks_cover_the_diary(loads: dict[int, Load]) -> None:
    for load in loads.values():
        assert load.weeks == 3
        assert all(len(values) == 3 for values in (*load.full_screen.values(), *load.raised.values(), load.active))
        assert load.evaluations == DAYS + load.checkins  # each day turn, and each check-in


def test_the_policy_never_shows_more_full_screen_alerts(loads: dict[int, Load]) -> None:
    # news() only names open emergency or urgent flags, which the old app showed full screen anyway.
    for load in loads.values():
        for before, after in zip(load.full_screen["before"], load.full_screen["after"], strict=True):
            assert after <= before


def test_cord_compression_symptoms_always_reach_the_patient(loads: dict[int, Load]) -> None:
    load = loads[5]
    assert load.levels["spinal_cord_compression_signs"] == "emergency"
    reporting = [
        entry
        for entry in generated(PLANS[5], days=DAYS).entries
        if entry.symptoms & {"limb_weakness", "difficulty_walking"}
    ]
    assert reporting and {entry.local_date for entry in reporting} == {
        bench_alerts.COHORT_START + timedelta(days=CORD_DAY)
    }
    week = CORD_DAY // 7
    # Reporting an emergency symptom always shows the emergency guidance (CLINICAL.md 1.1), in both worlds.
    assert load.full_screen["before"][week] >= len(reporting)
    assert load.full_screen["after"][week] >= len(reporting)
    assert load.raised["before"][week] and load.raised["after"][week]
    assert load.active[week]
    assert load.acknowledgements["after"] >= 1  # the therapist acknowledged it the next day


def test_mechanical_back_pain_raises_nothing(loads: dict[int, Load]) -> None:
    # CLINICAL.md: the mechanical pattern must raise none of the urgent or review flags.
    for index in range(4):
        load = loads[index]
        assert {code: level for code, level in load.levels.items() if level != "info"} == {}, load.levels
        assert sum(load.full_screen["before"]) == sum(load.full_screen["after"]) == 0
        assert not any(load.raised["before"]) and not any(load.raised["after"]) and not any(load.active)


def test_the_figures_add_up(loads: dict[int, Load]) -> None:
    figures = bench_alerts.figures(list(loads.values()))
    assert figures.weeks == 18
    assert figures.ever_share == pytest.approx(1 / 6)
    assert 0 < figures.full_screen_total["after"] <= figures.full_screen_total["before"]
    assert figures.raised_share["after"] > 0 and figures.active_share > 0
    assert any(line.startswith("1. weeks with urgent+ raised") for line in bench_alerts.table({"tiny": figures}))


def test_the_demo_clinic_replays_from_seed_demo() -> None:
    demo = {load.name: load for load in map(replay, bench_alerts.demo_clinic(date(2026, 3, 20)))}
    assert len(demo) == 6
    assert sum(demo["James Carter"].full_screen["before"]) == sum(demo["James Carter"].full_screen["after"]) == 0
    grace = demo["Grace Kim"]
    assert sum(grace.full_screen["after"]) >= 1 and sum(grace.full_screen["before"]) >= sum(grace.full_screen["after"])


ANSWERS = ("pain", "movement_effect", "fatigue", "rest_helped", "sleep_hours", "woke_from_pain", "weight_kg")


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC)


def _open_unacknowledged(patient: Any) -> set[str]:

    flags = flags_for(patient)["flags"]
    return {f["code"] for f in flags if f["level"] in ("emergency", "urgent") and not f["acknowledged"]}


def _rounds(patient: Any, therapist: Any, pending: set[str], day: date) -> int:
    """The simulated therapist's round at noon, through the app: how many flags it acknowledged."""

    with time_machine.travel(_at(day, bench_alerts.THERAPIST_AT), tick=False):
        codes = pending & _open_unacknowledged(patient)
        for code in codes:
            flag_acknowledge(patient=patient, therapist=therapist, code=code, note="Seen.")
    return len(codes)


@pytest.mark.django_db
def test_the_replay_agrees_with_the_app(loads: dict[int, Load]) -> None:
    """The noisy and the cord-compression diaries, sent check-in by check-in at their own moments
    through services.checkin_create, with the therapist's rounds through flag_acknowledge:
    the app's new_alerts (the full-screen page) and acknowledgements are the AFTER world's."""
    from diary import services
    from diary.models import CheckIn

    with time_machine.travel(_at(bench_alerts.COHORT_START, time(0, 0)), tick=False):
        therapist = services.therapist_create(email="bench-thea@example.com", password=PASSWORD)
    for plan in (PLANS[4], PLANS[5]):
        diary = generated(plan, days=DAYS)
        with time_machine.travel(_at(diary.first_day, time(0, 0)), tick=False):
            patient = services.patient_signup(
                email=f"bench-{plan.index}@example.com", password=PASSWORD, timezone_name="UTC"
            )
            services.profile_update(user=patient, therapy_started_on=diary.therapy_started_on)
            services.link_create(patient=patient, invite_code=therapist.invite_code or "")
        by_day = defaultdict(list)
        for entry in diary.entries:
            by_day[entry.local_date].append(entry)
        pending: set[str] = set()
        acknowledged = 0
        for offset in range(DAYS):
            day = diary.first_day + timedelta(days=offset)
            done = False
            for entry in by_day[day]:
                if not done and entry.local_time >= bench_alerts.THERAPIST_AT:
                    acknowledged, done = acknowledged + _rounds(patient, therapist, pending, day), True
                with time_machine.travel(_at(day, entry.local_time), tick=False):
                    services.checkin_create(
                        patient=patient,
                        client_uuid=uuid4(),
                        recorded_at=_at(day, entry.local_time),
                        symptoms=sorted(entry.symptoms),
                        **{name: getattr(entry, name) for name in ANSWERS},
                    )
            if not done:
                acknowledged += _rounds(patient, therapist, pending, day)
            with time_machine.travel(_at(day, time(23, 59)), tick=False):
                pending = _open_unacknowledged(patient)

        weekly = [0] * loads[plan.index].weeks
        for checkin in CheckIn.objects.filter(patient=patient):
            weekly[(checkin.local_date - diary.first_day).days // 7] += bool(checkin.new_alerts)
        assert weekly == loads[plan.index].full_screen["after"]
        assert acknowledged == loads[plan.index].acknowledgements["after"]
