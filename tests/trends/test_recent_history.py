"""A diary cut to its recent history is judged exactly as the whole of it, or the cut says it cannot be.

The flags on every write are judged on the last RECENT_HISTORY_DAYS (diary/flags.py) and the
rest of the history is read only when `evaluate_recent` says it could count. These properties
compare that with `evaluate` on the whole diary, on generated diaries long enough (over a year,
with patterns that hold for months) for `since` to reach past the cut.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.trends import (
    LONGEST_LOOKBACK,
    NOT_ENOUGH_DATA,
    RULES,
    Diary,
    DoseEntry,
    Entry,
    Finding,
    Outcome,
    PatientFacts,
    Rule,
    evaluate,
    evaluate_recent,
)
from tests.conftest import examples
from tests.trends.builders import part_of_day
from tests.trends.test_properties import entries as entries_strategy
from tests.trends.test_properties import facts as facts_strategy

any_entry = entries_strategy(days_back=0)
any_dose = st.builds(
    DoseEntry,
    id=st.just(0),
    local_date=st.integers(0, 40).map(lambda days: AS_OF - timedelta(days=days)),
    as_needed=st.booleans(),
    relief=st.sampled_from([None, "none", "a_little", "a_lot"]),
)

AS_OF = date(2026, 3, 31)
HISTORY = 400  # diary/flags.py TREND_HISTORY_DAYS: what "the whole diary" is
SYMPTOMS = [
    "limb_weakness",
    "limb_numbness_tingling",
    "urinary_change",
    "blood_in_urine",
    "night_sweats",
    "unexplained_weight_loss",
    "pain_worse_straining",
    "difficulty_sleeping",
]


@st.composite
def long_diaries(draw: st.DrawFn) -> tuple[list[Entry], list[DoseEntry], PatientFacts]:
    """Up to 400 days of check-ins in runs of a pattern (steady, worsening, losing weight, a symptom
    for weeks), with silent stretches, and as-needed doses over the last 60 days."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    span = draw(st.integers(20, HISTORY))
    silent_from, silent_days = draw(st.integers(0, span)), draw(st.sampled_from([0, 0, 5, 40, 150]))
    symptom = draw(st.sampled_from([None, *SYMPTOMS]))
    symptom_share = draw(st.sampled_from([0.05, 0.3, 0.9]))
    pain, fatigue, weight = rng.randint(0, 8), rng.randint(0, 8), rng.uniform(50, 100)
    weight_drift = draw(st.sampled_from([0.0, -0.02, -0.08, 0.03]))
    per_day = draw(st.sampled_from([1, 2, 3]))
    entries: list[Entry] = []
    for days_ago in range(span, -1, -1):
        if silent_from >= days_ago > silent_from - silent_days:
            continue
        weight += weight_drift
        for _ in range(rng.randint(1, per_day)):
            moment = time(rng.randrange(24), rng.randrange(60))
            entries.append(
                Entry(
                    id=len(entries) + 1,
                    local_date=AS_OF - timedelta(days=days_ago),
                    local_time=moment,
                    part_of_day=part_of_day(moment),
                    pain=max(0, min(10, pain + rng.randint(-2, 2))) if rng.random() < 0.9 else None,
                    movement_effect=rng.choice([None, "worse", "no_change", "better"]),
                    fatigue=max(0, min(10, fatigue + rng.randint(-2, 2))) if rng.random() < 0.9 else None,
                    rest_helped=rng.choice([None, "yes", "somewhat", "no"]),
                    sleep_hours=rng.choice([None, 5.0, 7.5, 9.0]),
                    woke_from_pain=rng.choice([None, True, False]),
                    weight_kg=round(weight, 1) if rng.random() < 0.15 else None,
                    symptoms=frozenset([symptom]) if symptom and rng.random() < symptom_share else frozenset(),
                )
            )
    doses = [
        DoseEntry(
            id=index + 1,
            local_date=AS_OF - timedelta(days=rng.randrange(60)),
            as_needed=rng.random() < 0.8,
            relief=rng.choice([None, "none", "a_little", "a_lot"]),
        )
        for index in range(draw(st.integers(0, 80)))
    ]
    began = draw(st.none() | st.integers(0, HISTORY + 60).map(lambda days: AS_OF - timedelta(days=days)))
    return entries, doses, PatientFacts(therapy_started_on=began)


def cut(entries: list[Entry], facts: PatientFacts, start: date) -> list[Entry]:
    """The check-ins from `start` on, and the therapy baseline whatever its age, as diary/flags.py reads them."""
    began = facts.therapy_started_on

    def kept(entry: Entry) -> bool:
        in_baseline = began is not None and began - timedelta(days=7) <= entry.local_date <= began + timedelta(days=6)
        return entry.local_date >= start or in_baseline

    return [entry for entry in entries if kept(entry)]


@settings(max_examples=examples(200), deadline=None)
@given(diary=long_diaries(), recent=st.integers(LONGEST_LOOKBACK, HISTORY))
def test_a_recent_evaluation_is_the_whole_diarys_or_none(
    diary: tuple[list[Entry], list[DoseEntry], PatientFacts], recent: int
) -> None:
    """Whatever the cut, evaluate_recent answers exactly what evaluate answers on the whole diary, or None."""
    entries, doses, facts = diary
    start = AS_OF - timedelta(days=recent)
    whole = evaluate(cut(entries, facts, AS_OF - timedelta(days=HISTORY)), facts, AS_OF, doses)
    answer = evaluate_recent(cut(entries, facts, start), facts, AS_OF, doses, start=start)
    assert answer is None or answer == whole


def a_year(**answers: object) -> list[Entry]:
    """A check-in every morning for a year, with the same answers, weight losing 0.1 kg a day."""
    return [
        Entry(
            id=days_ago + 1,
            local_date=AS_OF - timedelta(days=days_ago),
            local_time=time(8, 0),
            part_of_day="morning",
            pain=2,
            weight_kg=round(90 - 0.1 * (365 - days_ago), 1),
            **answers,  # type: ignore[arg-type]
        )
        for days_ago in range(365)
    ]


def test_a_flag_that_began_lately_is_judged_on_the_recent_history() -> None:
    """Night sweats on the last 10 days of a year without weighing: the cut is enough, and says so."""
    entries = [
        Entry(
            **{
                **vars(entry),
                "weight_kg": None,
                "symptoms": frozenset(["night_sweats"]) if entry.id <= 10 else frozenset(),
            }
        )
        for entry in a_year()
    ]
    start = AS_OF - timedelta(days=240)
    answer = evaluate_recent(cut(entries, PatientFacts(), start), PatientFacts(), AS_OF, start=start)
    assert answer is not None and answer == evaluate(entries, PatientFacts(), AS_OF)
    assert [flag.code for flag in answer.flags] == ["night_sweats"]


def test_a_flag_whose_run_reaches_past_the_cut_asks_for_the_whole_diary() -> None:
    """Weight falling all year: weight_loss has held for months, so its since needs older check-ins."""
    entries = a_year()
    start = AS_OF - timedelta(days=240)
    assert "weight_loss" in {flag.code for flag in evaluate(entries, PatientFacts(), AS_OF).flags}
    assert evaluate_recent(cut(entries, PatientFacts(), start), PatientFacts(), AS_OF, start=start) is None


def test_a_diary_silent_since_before_the_cut_asks_for_the_whole_diary() -> None:
    """missed_checkins reads the last check-in, however old: with none since the cut, the cut cannot say."""
    entries = [entry for entry in a_year() if entry.local_date < AS_OF - timedelta(days=250)]
    start = AS_OF - timedelta(days=240)
    assert evaluate_recent(cut(entries, PatientFacts(), start), PatientFacts(), AS_OF, start=start) is None


def same(one: Outcome, other: Outcome) -> bool:
    if isinstance(one, Finding) and isinstance(other, Finding):
        return one.level == other.level and one.explain() == other.explain()
    return one is other or (one is NOT_ENOUGH_DATA and other is NOT_ENOUGH_DATA)


@st.composite
def edge_diaries(draw: st.DrawFn, lookback: int, on: date) -> list[Entry]:
    """Check-ins bunched on both sides of the day a rule's lookback reaches, and in the last month."""
    near = st.integers(max(0, lookback - 3), lookback + 3)
    items = draw(st.lists(st.tuples(any_entry, near | st.integers(0, 35)), min_size=5, max_size=50))
    return [
        replace(entry, id=index + 1, local_date=on - timedelta(days=days_ago))
        for index, (entry, days_ago) in enumerate(items)
    ]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
@settings(max_examples=examples(100), deadline=None)
@given(data=st.data())
def test_each_rule_reads_no_further_back_than_its_lookback(rule: Rule, data: st.DataObject) -> None:
    """Each rule gives the same answer without the check-ins older than its lookback (the therapy
    baseline and the last check-in kept, as evaluate_recent assumes)."""
    on = AS_OF - timedelta(days=data.draw(st.integers(0, 10)))
    known = [entry for entry in data.draw(edge_diaries(rule.lookback, on)) if entry.local_date <= on]
    facts = data.draw(facts_strategy)
    doses = data.draw(st.lists(any_dose, max_size=20))
    doses = [replace(dose, id=index + 1) for index, dose in enumerate(doses)]
    start = on - timedelta(days=rule.lookback)
    last = max((entry.local_date for entry in known), default=None)
    kept_ids = {entry.id for entry in cut(known, facts, start)}
    kept = [entry for entry in known if entry.id in kept_ids or entry.local_date == last]
    assert same(rule.judge(Diary(kept, doses), facts, on), rule.judge(Diary(known, doses), facts, on))


def test_a_diary_cut_closer_than_the_longest_lookback_is_refused() -> None:
    """A cut that leaves a rule without its window is a caller's mistake, not a None."""
    with pytest.raises(ValueError):
        evaluate_recent([], PatientFacts(), AS_OF, start=AS_OF - timedelta(days=LONGEST_LOOKBACK - 1))


def on_day(days_ago: int, **answers: object) -> Entry:
    return Entry(
        id=1000 + days_ago,
        local_date=AS_OF - timedelta(days=days_ago),
        local_time=time(8, 0),
        part_of_day="morning",
        **answers,  # type: ignore[arg-type]
    )


# For the rules that read furthest back, a diary whose answer turns on a check-in exactly `lookback`
# days before as_of: the lookback is not one day too short.
FURTHEST = {
    "weight_loss": [on_day(29, weight_kg=70.0), on_day(209, weight_kg=80.0)],
    "limb_numbness_tingling": [
        on_day(0, symptoms=frozenset(["limb_numbness_tingling"])),
        on_day(34, symptoms=frozenset(["limb_numbness_tingling"])),
    ],
    "worsening_pain": [
        *[on_day(days, pain=8) for days in (0, 1, 2)],
        *[on_day(days, pain=5) for days in (7, 8)],
        on_day(20, pain=0),
    ],
}


@pytest.mark.parametrize("code", FURTHEST)
def test_the_longest_lookbacks_are_not_a_day_short(code: str) -> None:
    """Leaving out the day a rule's lookback reaches changes its answer."""
    rule = next(rule for rule in RULES if rule.code == code)
    entries = FURTHEST[code]
    oldest = AS_OF - timedelta(days=rule.lookback)
    assert min(entry.local_date for entry in entries) == oldest
    without = [entry for entry in entries if entry.local_date > oldest]
    assert not same(
        rule.judge(Diary(entries), PatientFacts(), AS_OF), rule.judge(Diary(without), PatientFacts(), AS_OF)
    )
