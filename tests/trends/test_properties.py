"""Properties that hold for any diary a patient could keep, checked on generated ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from diary.trends import LEVEL_RANK, RULES, Entry, PatientFacts, evaluate
from tests.conftest import examples
from tests.trends.builders import part_of_day

AS_OF = date(2026, 3, 31)
SYMPTOMS = [
    "limb_weakness",
    "difficulty_walking",
    "limb_numbness_tingling",
    "saddle_numbness",
    "bladder_control_loss",
    "bowel_control_loss",
    "urinary_change",
    "bowel_change",
    "blood_in_urine",
    "blood_in_stool",
    "night_sweats",
    "unexplained_weight_loss",
    "pain_worse_straining",
    "band_like_pain",
    "difficulty_sleeping",
    "shortness_of_breath",
    "coughing_blood",
    "nausea",
]
CODES = {rule.code for rule in RULES}

score = st.none() | st.integers(0, 10)
# Drawn as whole numbers and scaled: quicker to generate than floats, and what a phone sends anyway.
minutes = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
sleep = st.none() | st.integers(0, 48).map(lambda halves: halves / 2)
weight = st.none() | st.none() | st.integers(200, 4000).map(lambda tenths: tenths / 10)


@st.composite
def entries(draw: st.DrawFn, days_back: int = 240, days_after: int = 0) -> Entry:
    """One check-in as the API accepts it, on a date up to `days_back` before as_of (or after, if asked)."""
    local_time = draw(minutes)
    return Entry(
        id=0,  # numbered by the diary strategy
        local_date=AS_OF + timedelta(days=draw(st.integers(-days_back, days_after))),
        local_time=local_time,
        part_of_day=part_of_day(local_time),
        pain=draw(score),
        movement_effect=draw(st.sampled_from([None, "worse", "no_change", "better"])),
        fatigue=draw(score),
        rest_helped=draw(st.sampled_from([None, "yes", "somewhat", "no"])),
        sleep_hours=draw(sleep),
        woke_from_pain=draw(st.sampled_from([None, True, False])),
        weight_kg=draw(weight),
        symptoms=draw(st.frozensets(st.sampled_from(SYMPTOMS), max_size=2)),
    )


def numbered(items: list[Entry], first_id: int = 1) -> list[Entry]:
    return [replace(entry, id=first_id + index) for index, entry in enumerate(items)]


diaries = st.lists(entries(), max_size=40).map(numbered)
# A busier diary: check-ins bunched into the last few weeks, so that the rules have data and fire.
busy_diaries = st.lists(entries(days_back=30), min_size=15, max_size=60).map(numbered)
facts = st.builds(PatientFacts, therapy_started_on=st.none() | st.dates(date(2025, 6, 1), date(2026, 4, 30)))


@settings(max_examples=examples(200), deadline=None)
@given(diary=diaries | busy_diaries, facts=facts)
def test_any_diary_evaluates_to_well_formed_flags(diary: list[Entry], facts: PatientFacts) -> None:
    """Any valid diary evaluates without error to catalogue codes, most severe first, each with its evidence."""
    result = evaluate(diary, facts, AS_OF)
    flagged = [flag.code for flag in result.flags]
    assert len(set(flagged)) == len(flagged) and set(flagged) <= CODES
    assert set(result.not_enough_data) <= CODES and not set(flagged) & set(result.not_enough_data)
    assert [LEVEL_RANK[f.level] for f in result.flags] == sorted(LEVEL_RANK[f.level] for f in result.flags)
    ids = {entry.id for entry in diary}
    for flag in result.flags:
        assert flag.title and flag.detail and flag.source
        assert flag.evidence["checkin_ids"] and set(flag.evidence["checkin_ids"]) <= ids
        assert min(entry.local_date for entry in diary) <= flag.since <= AS_OF


@settings(max_examples=examples(200), deadline=None)
@given(diary=diaries | busy_diaries, later=st.lists(entries(days_back=-1, days_after=30), min_size=1, max_size=5))
def test_a_checkin_dated_after_as_of_changes_nothing(diary: list[Entry], later: list[Entry]) -> None:
    """The evaluation as of a date is the same whatever was recorded after it."""
    facts = PatientFacts(therapy_started_on=AS_OF - timedelta(days=40))
    with_later = diary + numbered(later, first_id=len(diary) + 1)
    assert evaluate(with_later, facts, AS_OF) == evaluate(diary, facts, AS_OF)


@settings(max_examples=examples(50), deadline=None)
@given(diary=busy_diaries)
def test_the_order_checkins_arrive_in_changes_nothing(diary: list[Entry]) -> None:
    """Offline phones send late: the evaluation depends on the diary, not on the order it is given in."""
    facts = PatientFacts(therapy_started_on=AS_OF - timedelta(days=29))
    assert evaluate(list(reversed(diary)), facts, AS_OF) == evaluate(diary, facts, AS_OF)


@settings(max_examples=examples(50), deadline=None)
@given(diary=busy_diaries)
def test_since_is_the_first_day_of_an_unbroken_run(diary: list[Entry]) -> None:
    """The rule held on every date from since to as_of, and not on the date before since."""
    facts = PatientFacts()
    result = evaluate(diary, facts, AS_OF)
    first = min(entry.local_date for entry in diary)
    for flag in result.flags:
        held = [
            flag.code in {f.code for f in evaluate(diary, facts, day).flags}
            for day in (flag.since + timedelta(days=n) for n in range((AS_OF - flag.since).days + 1))
        ]
        assert all(held)
        before = flag.since - timedelta(days=1)
        assert before < first or flag.code not in {f.code for f in evaluate(diary, facts, before).flags}


def test_midnight_and_the_last_minute_belong_to_their_own_dates() -> None:
    """A plain check of the generator's part-of-day mapping at its edges, which the properties rely on."""
    assert [part_of_day(time(h, m)) for h, m in [(0, 0), (5, 59), (6, 0), (11, 59), (12, 0), (17, 59), (18, 0)]] == [
        "night",
        "night",
        "morning",
        "morning",
        "afternoon",
        "afternoon",
        "evening",
    ]
    assert part_of_day(time(23, 59)) == "evening"
