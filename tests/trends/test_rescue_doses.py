"""The medicine rules of CLINICAL.md 1.1, on both sides of each threshold, with no database.

"A day with a record" is a local date with a check-in or a dose: on it the number of as-needed
doses is known (0 if none); any other date is unknown and does not count. Doses of regular
medicines are records but never counted as as-needed doses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.trends import DoseEntry, evaluate
from diary.trends.records import PatientFacts
from tests.conftest import examples
from tests.trends.builders import AS_OF, checkin, dose, flag, judge, verdict


def doses_on(days_ago: int, count: int, **kind: object) -> list[DoseEntry]:
    return [dose(days_ago, **kind) for _ in range(count)]  # type: ignore[arg-type]


def per_day(counts: dict[int, int]) -> list[DoseEntry]:
    """`{days_ago: as-needed doses}`; a 0 is a day with a record (a regular dose) and no as-needed dose."""
    doses = []
    for days_ago, count in counts.items():
        doses += doses_on(days_ago, count) if count else [dose(days_ago, as_needed=False)]
    return doses


# --- rescue_doses_high: 4 or more as-needed doses on at least 2 of the last 3 days ------------------

HIGH_CASES = [
    ({0: 4, 1: 4}, "fires"),
    ({0: 4, 2: 6}, "fires"),
    ({0: 4, 1: 3, 2: 0}, "quiet"),  # 3 a day is below the threshold
    ({0: 4, 1: 3, 2: 3}, "quiet"),
    ({0: 5, 1: 0, 2: 0}, "quiet"),  # only one high day
    ({0: 6}, "not enough data"),  # one day with a record: 2 high days cannot be seen
    ({0: 4, 3: 4}, "not enough data"),  # 3 days ago is outside the window
    ({1: 4, 2: 4, 3: 0}, "fires"),
]


@pytest.mark.parametrize(("counts", "expected"), HIGH_CASES)
def test_rescue_doses_high_on_both_sides_of_its_threshold(counts: dict[int, int], expected: str) -> None:
    assert verdict("rescue_doses_high", [], doses=per_day(counts)) == expected


def test_rescue_doses_high_counts_a_checkin_day_without_doses_as_zero() -> None:
    """A check-in makes a day with a record: 0 doses that day, known, so 2 of 3 can be judged."""
    doses = doses_on(0, 5)
    assert verdict("rescue_doses_high", [checkin(1, pain=3)], doses=doses) == "quiet"


def test_rescue_doses_high_does_not_count_regular_medicines() -> None:
    doses = doses_on(0, 4, as_needed=False) + doses_on(1, 4, as_needed=False)
    assert verdict("rescue_doses_high", [], doses=doses) == "quiet"
    mixed = [*doses_on(0, 3), dose(0, as_needed=False), *doses_on(1, 4)]
    assert verdict("rescue_doses_high", [], doses=mixed) == "quiet"


def test_rescue_doses_high_speaks_to_the_patient_and_the_clinician() -> None:
    doses = doses_on(0, 4) + doses_on(1, 6)
    raised = flag("rescue_doses_high", [], doses=doses)
    assert raised.level == "review"
    assert raised.title.startswith("Tell the doctor or nurse who prescribes your pain medicine")
    assert "Tell the doctor or nurse who prescribes your pain medicine" in raised.detail
    assert raised.clinician_detail == "4–6 as-needed doses on 2 of the last 3 days (oxycodone 5 mg)"
    assert raised.evidence["dose_ids"] == sorted(d.id for d in doses)
    assert raised.evidence["checkin_ids"] == []
    assert "ESMO" in raised.source
    # The day before, the last 3 days held one day with a record: not judged, so the run starts today.
    assert raised.since == AS_OF


# --- rescue_doses_rising: last 7 days' mean ≥ 1.0 higher and ≥ 1.5× the 14 days before -------------


def rising(recent: int, earlier: int, *, recent_days: int = 7, earlier_days: int = 14) -> list[DoseEntry]:
    """`recent` as-needed doses a day on `recent_days` of the last 7 days, `earlier` a day before them."""
    counts = {n: recent for n in range(recent_days)} | {7 + n: earlier for n in range(earlier_days)}
    return per_day(counts)


RISING_CASES = [
    (rising(2, 1), "fires"),  # +1.0 and ×2
    (rising(3, 2), "fires"),  # +1.0 and exactly ×1.5: both thresholds are "at least"
    (rising(4, 2), "fires"),  # +2 and ×2
    (rising(1, 0), "fires"),  # from none to one a day
    (rising(0, 0), "quiet"),
    (rising(2, 2), "quiet"),
    (rising(5, 4), "quiet"),  # +1.0 but only ×1.25
    (rising(2, 1, recent_days=3), "not enough data"),  # 3 days with a record in the last 7
    (rising(2, 1, recent_days=4), "fires"),
    (rising(2, 1, earlier_days=3), "not enough data"),
]


@pytest.mark.parametrize(("doses", "expected"), RISING_CASES)
def test_rescue_doses_rising_on_both_sides_of_its_thresholds(doses: list[DoseEntry], expected: str) -> None:
    assert verdict("rescue_doses_rising", [], doses=doses) == expected


def test_rescue_doses_rising_just_below_one_more_a_day_is_quiet() -> None:
    """Mean 1.857 (13 doses over 7 days) against 1.0: +0.857, not +1.0."""
    counts = {n: 2 for n in range(7)} | {n: 1 for n in range(7, 21)}
    doses = per_day(counts)
    doses.remove(next(d for d in doses if d.local_date == AS_OF))  # 13 doses in the last 7 days
    assert verdict("rescue_doses_rising", [], doses=doses) == "quiet"


def test_rescue_doses_rising_does_not_count_unknown_days_as_zero() -> None:
    """Days without any record are left out of the mean: 2 a day on 4 of 7 days is a mean of 2, not 8/7."""
    counts = {0: 2, 2: 2, 4: 2, 6: 2} | {n: 1 for n in range(7, 21)}
    assert verdict("rescue_doses_rising", [], doses=per_day(counts)) == "fires"
    # The same doses with check-ins on the other 3 days: those are 0s, the mean is 8/7 = 1.14.
    checkins = [checkin(n, pain=3) for n in (1, 3, 5)]
    assert verdict("rescue_doses_rising", checkins, doses=per_day(counts)) == "quiet"


def test_rescue_doses_rising_tells_the_clinician_the_means() -> None:
    raised = flag("rescue_doses_rising", [], doses=rising(3, 1))
    assert raised.clinician_detail == "As-needed doses 1 → 3 a day (last 7 days against the 14 before; oxycodone 5 mg)"
    assert "Tell the doctor or nurse who prescribes your pain medicine" in raised.detail


# --- rescue_doses_not_helping: ≥ 3 rated as-needed doses in 7 days, ≥ two thirds "none" ------------


def rated(*reliefs: str, days_ago: int = 0, as_needed: bool = True) -> list[DoseEntry]:
    return [dose(days_ago, relief=relief, as_needed=as_needed) for relief in reliefs]


NOT_HELPING_CASES = [
    (rated("none", "none", "some"), "fires"),  # exactly two thirds
    (rated("none", "some", "good"), "quiet"),
    (rated("none", "none", "some", "good"), "quiet"),  # half
    (rated("none", "none", "none", "complete"), "fires"),
    (rated("none", "none"), "not enough data"),  # only 2 rated
    ([*rated("none", "none"), dose(0)], "not enough data"),  # an unrated dose is not rated
    (rated("none", "none", "none", days_ago=7), "not enough data"),  # outside the last 7 days
    (rated("none", "none", "none", as_needed=False), "not enough data"),  # regular medicines are not counted
]


@pytest.mark.parametrize(("doses", "expected"), NOT_HELPING_CASES)
def test_rescue_doses_not_helping_on_both_sides_of_its_threshold(doses: list[DoseEntry], expected: str) -> None:
    assert verdict("rescue_doses_not_helping", [], doses=doses) == expected


def test_rescue_doses_not_helping_in_both_voices() -> None:
    raised = flag("rescue_doses_not_helping", [], doses=rated("none", "none", "some"))
    assert raised.title.startswith("Tell the doctor or nurse who prescribes your pain medicine")
    assert raised.clinician_detail == (
        'Relief "none" after 2 of 3 as-needed doses rated in the last 7 days (oxycodone 5 mg)'
    )


# --- dates in the patient's zone ------------------------------------------------------------------


def test_a_dose_at_23_50_in_auckland_belongs_to_that_local_date() -> None:
    """The record's local date is taken_at in the patient's zone, as the server stores it: 23:50 on the
    as-of date in Auckland is 10:50 UTC the same day, and counts on the as-of date."""
    zone = ZoneInfo("Pacific/Auckland")
    late = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 23, 50, tzinfo=zone)
    assert late.astimezone(UTC).date() == AS_OF
    as_of_doses = [DoseEntry(id=9000 + n, local_date=late.astimezone(zone).date(), as_needed=True) for n in range(4)]
    yesterday = doses_on(1, 4)
    assert verdict("rescue_doses_high", [], doses=as_of_doses + yesterday) == "fires"
    # Five minutes later is the next local date, outside the as-of window.
    next_day = (late + timedelta(minutes=15)).astimezone(zone).date()
    moved = [DoseEntry(id=9100 + n, local_date=next_day, as_needed=True) for n in range(4)]
    assert verdict("rescue_doses_high", [], doses=moved + yesterday) == "not enough data"


# --- doses after as_of ------------------------------------------------------------------------------


@st.composite
def dose_lists(draw: st.DrawFn, days_after: int = 0) -> list[DoseEntry]:
    count = draw(st.integers(0, 60))
    return [
        DoseEntry(
            id=draw(st.integers(1, 10**6)) * 10 + days_after,
            local_date=AS_OF + timedelta(days=draw(st.integers(-25 if not days_after else 1, days_after))),
            as_needed=draw(st.booleans()),
            relief=draw(st.sampled_from([None, "none", "some", "good", "complete"])),
            medicine="oxycodone 5 mg",
        )
        for _ in range(count)
    ]


@settings(max_examples=examples(200), deadline=None)
@given(before=dose_lists(), after=dose_lists(days_after=30))
def test_doses_dated_after_as_of_change_no_flag(before: list[DoseEntry], after: list[DoseEntry]) -> None:
    facts = PatientFacts()
    entries = [checkin(n, pain=4) for n in range(0, 21, 3)]
    assert evaluate(entries, facts, AS_OF, before) == evaluate(entries, facts, AS_OF, before + after)


def test_two_high_days_raise_only_the_high_flag() -> None:
    """Two days of 4 doses: high, but not rising (no earlier weeks) and not unhelpful (nothing rated)."""
    result = judge([], doses=doses_on(0, 4) + doses_on(1, 4))
    assert [f.code for f in result.flags] == ["rescue_doses_high"]
