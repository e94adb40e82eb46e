"""Each rule of CLINICAL.md's flag catalogue, case by case: both sides of every threshold and window
edge, and the least data each rule needs (below it the rule is listed as lacking data and never fires).

Every case goes through evaluate(), so each also checks what all flags share (see builders.judge).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from diary.trends import Entry
from tests.trends.builders import AS_OF, checkin, daily, flag, judge, verdict

FIRES, QUIET, LACKING = "fires", "quiet", "not enough data"


def case(expected: str, entries: list[Entry], id: str, **when: Any) -> Any:
    return pytest.param(entries, expected, when, id=id)


# --- spinal_cord_compression_signs --------------------------------------------------------------

CORD = ["limb_weakness", "difficulty_walking", "saddle_numbness", "bladder_control_loss", "bowel_control_loss"]


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        *(case(FIRES, [checkin(0, symptoms=[symptom])], f"{symptom} today") for symptom in CORD),
        case(FIRES, [checkin(6, symptoms=["limb_weakness"])], "6 days ago: the oldest date of the 7"),
        case(QUIET, [checkin(7, symptoms=["limb_weakness"]), checkin(0, pain=2)], "7 days ago: outside the 7"),
        case(QUIET, [checkin(0, symptoms=["limb_numbness_tingling", "nausea", "urinary_change"])], "other symptoms"),
        case(QUIET, [checkin(0, pain=9)], "a check-in without symptoms"),
        case(LACKING, [checkin(7, symptoms=["limb_weakness"])], "no check-in in the last 7 days"),
        case(LACKING, [], "no diary at all"),
    ],
)
def test_spinal_cord_compression_signs(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Any of the five signs on any check-in of the last 7 days, and nothing else, raises the emergency flag."""
    assert verdict("spinal_cord_compression_signs", entries, **when) == expected


def test_it_raises_cord_compression_signs_as_an_emergency_with_the_evidence() -> None:
    """The flag is an emergency, names what was reported and when, and points at the check-ins."""
    weak = checkin(2, "09:30", symptoms=["limb_weakness", "nausea"])
    walking = checkin(0, "07:00", symptoms=["difficulty_walking"])
    raised = flag("spinal_cord_compression_signs", [weak, checkin(1, pain=3), walking])
    assert raised.level == "emergency"
    assert raised.evidence["checkin_ids"] == sorted([weak.id, walking.id])
    assert raised.evidence["symptoms"] == ["difficulty_walking", "limb_weakness"]
    assert "Mar 29, 31" in raised.detail
    assert raised.since == AS_OF - timedelta(days=2)


# --- limb_numbness_tingling ----------------------------------------------------------------------

TINGLING = {"symptoms": ["limb_numbness_tingling"]}


@pytest.mark.parametrize(
    "entries, level",
    [
        pytest.param([checkin(0, **TINGLING)], "urgent", id="first report: new"),
        pytest.param([checkin(0, **TINGLING), checkin(35, **TINGLING)], "urgent", id="last report 35 days ago: new"),
        pytest.param([checkin(0, **TINGLING), checkin(34, **TINGLING)], "review", id="34 days ago: ongoing"),
        pytest.param([checkin(0, **TINGLING), checkin(7, **TINGLING)], "review", id="7 days ago: ongoing"),
        pytest.param([checkin(3, **TINGLING), checkin(0, **TINGLING)], "urgent", id="twice this week: still new"),
        pytest.param([checkin(6, **TINGLING), checkin(20, pain=2)], "urgent", id="6 days ago, quiet before"),
    ],
)
def test_it_marks_numbness_new_or_ongoing(entries: list[Entry], level: str) -> None:
    """Urgent when not reported in the 28 days before the last 7 (days 7–34 ago), review when it was."""
    assert flag("limb_numbness_tingling", entries).level == level


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(QUIET, [checkin(7, **TINGLING), checkin(0, pain=1)], "7 days ago only"),
        case(QUIET, [checkin(0, symptoms=["limb_weakness"])], "another symptom"),
        case(LACKING, [checkin(7, **TINGLING)], "no check-in in the last 7 days"),
    ],
)
def test_limb_numbness_tingling_quiet_or_lacking(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Numbness outside the last 7 days raises nothing; without a recent check-in the rule cannot judge."""
    assert verdict("limb_numbness_tingling", entries, **when) == expected


# --- blood_in_stool_or_urine, pain_worse_straining, bladder_bowel_change ---------------------------


@pytest.mark.parametrize(
    "code, symptoms, days",
    [
        ("blood_in_stool_or_urine", ["blood_in_stool", "blood_in_urine"], 14),
        ("pain_worse_straining", ["pain_worse_straining", "band_like_pain"], 14),
        ("bladder_bowel_change", ["urinary_change", "bowel_change"], 7),
    ],
)
def test_symptom_rules_window(code: str, symptoms: list[str], days: int) -> None:
    """Each symptom fires on the oldest date of the window, not the date before; no check-in: no judgement."""
    for symptom in symptoms:
        assert verdict(code, [checkin(0, symptoms=[symptom])]) == FIRES
        assert verdict(code, [checkin(days - 1, symptoms=[symptom])]) == FIRES
        assert verdict(code, [checkin(days, symptoms=[symptom]), checkin(0, pain=4)]) == QUIET
        assert verdict(code, [checkin(days, symptoms=[symptom])]) == LACKING
    assert verdict(code, [checkin(0, symptoms=["nausea", "night_sweats"])]) == QUIET


# --- night_pain -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, daily(3, "07:30", woke_from_pain=True), "woken on 3 mornings"),
        case(QUIET, [*daily(2, "07:30", woke_from_pain=True), checkin(2, "07:30", woke_from_pain=False)], "woken on 2"),
        case(FIRES, daily(3, "02:00", pain=4), "night check-ins with pain 4 on 3 nights"),
        case(QUIET, daily(3, "02:00", pain=3), "night pain 3"),
        case(FIRES, daily(3, "05:59", pain=4), "05:59 is night"),
        case(QUIET, daily(3, "06:00", pain=9) + daily(3, "07:00", woke_from_pain=False), "06:00 is morning"),
        case(QUIET, daily(3, "23:30", pain=9) + daily(3, "07:00", woke_from_pain=False), "late evening pain"),
        case(
            FIRES,
            [
                checkin(0, "03:00", pain=6),
                checkin(4, "07:00", woke_from_pain=True),
                checkin(9, "08:00", woke_from_pain=True),
            ],
            "night pain on one night, woken on two others",
        ),
        case(
            QUIET,
            [
                checkin(0, "03:00", pain=6),
                checkin(0, "07:00", woke_from_pain=True),
                checkin(1, "03:00", pain=6),
                checkin(1, "08:00", woke_from_pain=True),
                checkin(2, "08:00", woke_from_pain=False),
            ],
            "night pain and waking on the same date are one night",
        ),
        case(FIRES, daily([0, 5, 13], "07:00", woke_from_pain=True), "13 days ago is in the 14"),
        case(
            QUIET,
            [*daily([0, 5, 14], "07:00", woke_from_pain=True), checkin(1, "07:00", woke_from_pain=False)],
            "14 days ago is not",
        ),
        case(LACKING, daily(2, "07:00", woke_from_pain=True) + daily([3, 4, 5], "20:00", pain=5), "2 nights answered"),
        case(LACKING, daily(14, "20:00", pain=7), "evening check-ins say nothing about the night"),
        case(QUIET, daily(14, "07:00", woke_from_pain=False), "never woken"),
    ],
)
def test_night_pain(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """At least 3 distinct nights of the last 14 with waking from pain or a night (00:00–05:59) pain ≥ 4."""
    assert verdict("night_pain", entries, **when) == expected


def test_it_counts_waking_on_the_date_of_the_checkin_that_reports_it() -> None:
    """woke_from_pain belongs to the check-in's own local date, so the oldest of 3 reports 13 days ago counts."""
    reports = daily([0, 6, 13], "09:00", woke_from_pain=True)
    raised = flag("night_pain", reports)
    assert raised.level == "urgent"
    assert raised.evidence["nights"] == ["2026-03-18", "2026-03-25", "2026-03-31"]
    assert raised.evidence["checkin_ids"] == sorted(e.id for e in reports)
    assert raised.detail.startswith("Pain at night on 3 of the last 14 nights (Mar 18, 25, 31)")


# --- morning_pain_eases -----------------------------------------------------------------------------


def easing_days(
    days: range | list[int], first: int, last: int, early: str = "08:00", late: str = "20:00"
) -> list[Entry]:
    return [e for n in days for e in (checkin(n, early, pain=first), checkin(n, late, pain=last))]


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, easing_days(range(4), 6, 4), "4 days falling by 2"),
        case(QUIET, easing_days(range(4), 6, 5), "4 days falling by 1"),
        case(QUIET, easing_days(range(4), 3, 6), "rising through the day"),
        case(LACKING, easing_days(range(3), 8, 2), "only 3 days with both"),
        case(FIRES, easing_days(range(4), 6, 4, early="11:59", late="15:00"), "11:59 and 15:00 count"),
        case(LACKING, easing_days(range(4), 6, 4, early="12:00"), "12:00 is not before noon"),
        case(LACKING, easing_days(range(4), 6, 4, late="14:59"), "14:59 is not from 15:00"),
        case(FIRES, easing_days(range(4), 6, 2) + easing_days(range(4, 6), 4, 4), "4 of 6 days (67%)"),
        case(QUIET, easing_days(range(4), 6, 2) + easing_days(range(4, 7), 4, 4), "4 of 7 days (57%)"),
        case(FIRES, easing_days(range(6), 6, 2) + easing_days(range(6, 10), 4, 4), "6 of 10 days: exactly 60%"),
        case(QUIET, easing_days(range(3), 6, 2) + easing_days(range(3, 5), 4, 4), "3 of 5 is 60% but not 4 days"),
        case(FIRES, easing_days(range(10, 14), 7, 3), "13 days ago is in the 14"),
        case(LACKING, easing_days(range(11, 15), 7, 3), "one of the 4 days is 14 days ago"),
        case(
            FIRES,
            [
                e
                for n in range(4)
                for e in (checkin(n, "02:00", pain=6), checkin(n, "08:00", pain=4), checkin(n, "19:00", pain=4))
            ],
            "a 02:00 night check-in is the first pain of the day",
        ),
        case(
            QUIET,
            [
                e
                for n in range(4)
                for e in (checkin(n, "08:00", pain=7), checkin(n, "16:00", pain=3), checkin(n, "21:00", pain=6))
            ],
            "the last pain is the latest, not the lowest",
        ),
        case(
            FIRES,
            [
                e
                for n in range(4)
                for e in (checkin(n, "08:00", pain=7), checkin(n, "16:00", pain=3), checkin(n, "22:00", fatigue=5))
            ],
            "a later check-in without pain does not count",
        ),
    ],
)
def test_morning_pain_eases(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """At least 4 days with pain before noon and from 15:00; first minus last ≥ 2 on ≥ 4 and ≥ 60% of them."""
    assert verdict("morning_pain_eases", entries, **when) == expected


# --- pain_unrelated_to_movement ---------------------------------------------------------------------


def moving(count: int, effect: str, pain: int = 5, start: int = 0) -> list[Entry]:
    return [checkin(start + n, "10:00", pain=pain, movement_effect=effect) for n in range(count)]


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, moving(5, "no_change", pain=3), "5 check-ins with pain 3, no change"),
        case(LACKING, moving(5, "no_change", pain=2), "pain 2 does not count"),
        case(LACKING, moving(4, "no_change"), "only 4 answered"),
        case(LACKING, [*moving(4, "no_change"), checkin(0, "20:00", pain=6)], "a check-in without a movement answer"),
        case(FIRES, moving(7, "no_change") + moving(3, "worse", start=7), "7 of 10: exactly 70%"),
        case(QUIET, moving(6, "no_change") + moving(4, "worse", start=6), "6 of 10"),
        case(QUIET, moving(10, "worse"), "worse with movement: mechanical"),
        case(QUIET, moving(4, "no_change") + moving(2, "better", start=4), "4 of 6 (67%)"),
        case(FIRES, moving(5, "no_change", start=9), "13 days ago is in the 14"),
        case(LACKING, moving(5, "no_change", start=10), "one of the 5 is 14 days ago"),
    ],
)
def test_pain_unrelated_to_movement(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """At least 5 check-ins in 14 days with pain ≥ 3 and a movement answer, at least 70% "no change"."""
    assert verdict("pain_unrelated_to_movement", entries, **when) == expected


# --- pain_not_improving ------------------------------------------------------------------------------

STARTED = AS_OF - timedelta(days=30)


def pain_on(start_offsets: list[int], scores: list[int], *, since: int = 0) -> list[Entry]:
    """Pain scores on dates given as days after `STARTED` (negative: before therapy)."""
    days_ago = [(AS_OF - STARTED).days - offset for offset in start_offsets]
    return [checkin(n, "18:00", pain=score) for n, score in zip(days_ago, scores, strict=True)]


BEFORE_5 = pain_on([-3, -2, -1], [5, 5, 5])  # baseline 5 in the week before therapy
RECENT = [28, 29, 30]  # the last 3 of the last 7 days (therapy began 30 days before as_of)


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, BEFORE_5 + pain_on(RECENT, [5, 5, 5]), "no change", therapy_started_on=STARTED),
        case(
            QUIET,
            BEFORE_5 + pain_on([27, 28, 29, 30], [3, 4, 3, 4]),
            "exactly 30% lower (3.5 against 5) is improvement",
            therapy_started_on=STARTED,
        ),
        case(
            FIRES,
            BEFORE_5 + pain_on([27, 28, 29, 30], [4, 4, 3, 4]),
            "25% lower (3.75 against 5)",
            therapy_started_on=STARTED,
        ),
        case(
            QUIET,
            pain_on([-3, -2, -1], [6, 6, 6]) + pain_on([26, 27, 28, 29, 30], [4, 4, 4, 4, 5]),
            "exactly 30% lower in fifths (4.2 against 6)",
            therapy_started_on=STARTED,
        ),
        case(
            QUIET,
            pain_on([-3, -2, -1], [3, 3, 2]) + pain_on(RECENT, [3, 3, 3]),
            "baseline 2.67 is below 3",
            therapy_started_on=STARTED,
        ),
        case(
            FIRES,
            pain_on([-3, -2, -1], [3, 3, 3]) + pain_on(RECENT, [3, 3, 3]),
            "baseline exactly 3",
            therapy_started_on=STARTED,
        ),
        case(
            FIRES,
            pain_on([-7, -6, -5], [4, 4, 4]) + pain_on([0, 1, 2], [8, 8, 8]) + pain_on(RECENT, [4, 4, 4]),
            "baseline from the 7 days before (the 7th day before counts) when 3 have scores",
            therapy_started_on=STARTED,
        ),
        case(
            FIRES,
            pain_on([-8, -2, -1], [8, 8, 8]) + pain_on([0, 3, 6], [4, 4, 4]) + pain_on(RECENT, [4, 4, 4]),
            "8 days before is outside: fewer than 3, so the first week of therapy (days 0–6) is the baseline",
            therapy_started_on=STARTED,
        ),
        case(
            LACKING,
            pain_on([-2, -1], [8, 8]) + pain_on([0, 3, 7], [4, 4, 4]) + pain_on(RECENT, [4, 4, 4]),
            "day 7 of therapy is outside the first week: no baseline",
            therapy_started_on=STARTED,
        ),
        case(
            LACKING,
            BEFORE_5 + pain_on([29, 30], [5, 5]),
            "only 2 recent days with pain",
            therapy_started_on=STARTED,
        ),
        case(
            LACKING,
            BEFORE_5 + pain_on([22, 23, 30], [5, 5, 5]),
            "7 and 8 days ago are not in the last 7",
            therapy_started_on=STARTED,
        ),
        case(LACKING, BEFORE_5 + pain_on(RECENT, [5, 5, 5]), "no therapy date"),
        case(
            FIRES,
            BEFORE_5 + pain_on(RECENT, [5, 5, 5]),
            "therapy began 28 days ago",
            therapy_started_on=AS_OF - timedelta(days=28),
        ),
        case(
            LACKING,
            BEFORE_5 + pain_on(RECENT, [5, 5, 5]),
            "therapy began 27 days ago: too soon to judge",
            therapy_started_on=AS_OF - timedelta(days=27),
        ),
    ],
)
def test_pain_not_improving(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """After 28 days of therapy, mean daily maximum pain of the last 7 days not 30% below a baseline ≥ 3."""
    assert verdict("pain_not_improving", entries, **when) == expected


def test_it_uses_each_days_highest_pain_for_the_baseline() -> None:
    """Mean daily maximum: a day's low morning score does not pull its maximum down."""
    before = [
        e for n in (-3, -2, -1) for e in [*pain_on([n], [6]), checkin((AS_OF - STARTED).days - n, "07:00", pain=1)]
    ]
    recent = pain_on(RECENT, [5, 5, 5])  # 17% below 6: not enough improvement
    raised = flag("pain_not_improving", before + recent, therapy_started_on=STARTED)
    assert raised.evidence["baseline"]["mean_daily_max"] == 6
    assert raised.evidence["recent"]["mean_daily_max"] == 5
    assert raised.evidence["percent_change"] == -17
    assert raised.since == AS_OF  # the first day the last 7 days held 3 scored days


# --- worsening_pain ---------------------------------------------------------------------------------


def scores(days_ago: list[int], values: list[int]) -> list[Entry]:
    return [checkin(n, "18:00", pain=value) for n, value in zip(days_ago, values, strict=True)]


EARLIER_3 = scores([7, 10, 20], [3, 3, 3])  # the 14 days before the last 7: 7 to 20 days ago


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, EARLIER_3 + scores([0, 1, 6], [5, 5, 5]), "exactly 2 points worse"),
        case(QUIET, scores([7, 10, 20], [3, 3, 4]) + scores([0, 1, 6], [5, 5, 5]), "1.67 points worse"),
        case(FIRES, scores([8, 9, 10], [2, 2, 1]) + scores([0, 1, 2], [4, 4, 3]), "2 points in thirds (11/3 − 5/3)"),
        case(QUIET, EARLIER_3 + scores([0, 1, 6], [4, 4, 4]), "1 point worse"),
        case(QUIET, EARLIER_3 + scores([0, 1, 6], [1, 1, 1]), "better"),
        case(LACKING, EARLIER_3 + scores([0, 1, 7], [5, 5, 5]), "7 days ago is not in the last 7"),
        case(LACKING, scores([7, 10, 21], [3, 3, 3]) + scores([0, 1, 6], [5, 5, 5]), "21 days ago is not in the 14"),
        case(LACKING, scores([7, 10], [3, 3]) + scores([0, 1, 6], [5, 5, 5]), "2 earlier days"),
        case(
            LACKING,
            [*scores([7, 10], [3, 3]), checkin(12, "09:00", fatigue=4), *scores([0, 1, 6], [5, 5, 5])],
            "a check-in without pain does not make a third day",
        ),
        case(
            FIRES,
            EARLIER_3 + scores([0, 1, 6], [5, 5, 5]) + [checkin(n, "08:00", pain=0) for n in (0, 1, 6)],
            "each day counts with its highest pain",
        ),
    ],
)
def test_worsening_pain(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Mean daily maximum of the last 7 days ≥ 2 points above that of the 14 days before, each with 3 scored days."""
    assert verdict("worsening_pain", entries, **when) == expected


# --- persistent_fatigue -----------------------------------------------------------------------------


def tired(days: range | list[int], fatigue: int = 5, **rest: Any) -> list[Entry]:
    return [checkin(n, "19:00", fatigue=fatigue, **rest) for n in days]


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, tired(range(5), rest_helped="no"), "5 days of tiredness 5 that rest did not help"),
        case(FIRES, tired(range(5), fatigue=4, rest_helped="no"), "tiredness 4"),
        case(QUIET, tired(range(5), fatigue=3, rest_helped="no"), "tiredness 3"),
        case(QUIET, tired(range(4), rest_helped="no") + tired([4, 5, 6], rest_helped="yes"), "4 days unrelieved"),
        case(FIRES, tired(range(5), sleep_hours=7.0), "slept 7 hours"),
        case(QUIET, tired(range(5), sleep_hours=6.9), "slept 6.9 hours"),
        case(FIRES, tired(range(5), sleep_hours=8.0, rest_helped="somewhat"), "slept 8 hours, rest helped somewhat"),
        case(QUIET, tired(range(7), sleep_hours=8.0, rest_helped="yes"), "slept 8 hours and rest helped"),
        case(
            FIRES,
            [
                e
                for n in range(5)
                for e in (checkin(n, "07:00", sleep_hours=5.0, rest_helped="no"), checkin(n, "19:00", fatigue=6))
            ],
            "the answers may come from different check-ins of the same day",
        ),
        case(FIRES, tired(range(2, 7), rest_helped="no"), "6 days ago is in the 7"),
        case(LACKING, tired(range(3, 8), rest_helped="no"), "7 days ago is not"),
        case(LACKING, tired(range(4), rest_helped="no"), "4 days answered"),
        case(LACKING, tired(range(7)), "tired every day, never asked about rest or sleep"),
    ],
)
def test_persistent_fatigue(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Tiredness ≥ 4 on ≥ 5 of the last 7 days, with rest not helping or ≥ 7 hours' sleep on those days."""
    assert verdict("persistent_fatigue", entries, **when) == expected


# --- severe_fatigue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, tired(range(3), fatigue=7), "3 days of 7"),
        case(QUIET, tired(range(3), fatigue=6), "3 days of 6"),
        case(QUIET, tired(range(2), fatigue=9) + tired(range(2, 7), fatigue=2), "2 severe days of 7"),
        case(FIRES, tired([0, 3, 6], fatigue=8), "6 days ago is in the 7"),
        case(QUIET, tired([0, 3, 7], fatigue=8) + tired([1], fatigue=1), "7 days ago is not"),
        case(LACKING, tired(range(2), fatigue=9), "tiredness scored on 2 days"),
    ],
)
def test_severe_fatigue(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Tiredness ≥ 7 on at least 3 of the last 7 days; needs tiredness on 3 days."""
    assert verdict("severe_fatigue", entries, **when) == expected


# --- weight_loss --------------------------------------------------------------------------------------


def weighed(days_ago: int, kg: float) -> Entry:
    return checkin(days_ago, "07:15", weight_kg=kg)


@pytest.mark.parametrize(
    "entries, expected, when",
    [
        case(FIRES, [weighed(14, 80.0), weighed(0, 76.0)], "exactly 5% below, 14 days before"),
        case(QUIET, [weighed(14, 80.0), weighed(0, 76.1)], "4.9% below"),
        case(FIRES, [weighed(20, 72.3), weighed(0, 68.685)], "exactly 5% in decimals that floats cannot hold"),
        case(LACKING, [weighed(13, 80.0), weighed(0, 70.0)], "the only older weight is 13 days before"),
        case(FIRES, [weighed(180, 80.0), weighed(0, 76.0)], "180 days before counts"),
        case(LACKING, [weighed(181, 80.0), weighed(0, 70.0)], "181 days before does not"),
        case(FIRES, [weighed(209, 80.0), weighed(29, 76.0)], "latest recorded 29 days ago"),
        case(LACKING, [weighed(210, 80.0), weighed(30, 76.0), checkin(0, pain=2)], "latest recorded 30 days ago"),
        case(
            FIRES,
            [weighed(60, 74.0), weighed(40, 81.0), weighed(20, 78.0), weighed(0, 76.9)],
            "against the highest, not the oldest",
        ),
        case(
            QUIET,
            [weighed(40, 80.0), weighed(1, 75.0), weighed(0, 79.0)],
            "the latest weight counts, not the lowest",
        ),
        case(FIRES, [checkin(13, symptoms=["unexplained_weight_loss"])], "losing weight without trying, reported"),
        case(LACKING, [checkin(14, symptoms=["unexplained_weight_loss"])], "reported 14 days ago, no weights"),
        case(LACKING, [checkin(0, pain=3)], "no weights"),
        case(QUIET, [weighed(30, 80.0), weighed(0, 80.0)], "steady"),
    ],
)
def test_weight_loss(entries: list[Entry], expected: str, when: dict[str, Any]) -> None:
    """Latest weight (last 30 days) ≥ 5% below the highest of 14–180 days before it, or the symptom in 14 days."""
    assert verdict("weight_loss", entries, **when) == expected


def test_it_reports_weight_loss_in_kilograms_and_percent() -> None:
    """The detail gives both weights and the loss; the evidence names both check-ins."""
    high, low = weighed(21, 80.0), weighed(0, 74.0)
    raised = flag("weight_loss", [high, weighed(10, 77.0), low])
    assert raised.detail == "Weight 74 kg on Mar 31, down 7.5% from 80 kg on Mar 10."
    assert raised.evidence["percent_lost"] == 7.5
    assert raised.evidence["checkin_ids"] == [high.id, low.id]


# --- night_sweats, sleep_disturbance ------------------------------------------------------------------

SWEATS = {"symptoms": ["night_sweats"]}
SLEEPLESS = {"symptoms": ["difficulty_sleeping"]}


@pytest.mark.parametrize(
    "code, entries, expected",
    [
        ("night_sweats", [checkin(0, **SWEATS), checkin(13, **SWEATS)], FIRES),
        ("night_sweats", [checkin(0, **SWEATS), checkin(14, **SWEATS), checkin(5, pain=1)], QUIET),
        ("night_sweats", [checkin(0, "03:00", **SWEATS), checkin(0, "08:00", **SWEATS), checkin(5, pain=1)], QUIET),
        ("night_sweats", [checkin(0, "03:00", **SWEATS), checkin(0, "08:00", **SWEATS)], LACKING),
        ("sleep_disturbance", [checkin(n, **SLEEPLESS) for n in (0, 3, 6)], FIRES),
        ("sleep_disturbance", [checkin(n, **SLEEPLESS) for n in (0, 3, 7)] + [checkin(1, pain=1)], QUIET),
        ("sleep_disturbance", [checkin(n, **SLEEPLESS) for n in (0, 3)] + [checkin(5, pain=1)], QUIET),
        ("sleep_disturbance", [checkin(n, **SLEEPLESS) for n in (0, 3)], LACKING),
    ],
)
def test_symptoms_on_several_days(code: str, entries: list[Entry], expected: str) -> None:
    """Night sweats on ≥ 2 days of 14, difficulty sleeping on ≥ 3 of 7: distinct dates, and enough days checked in."""
    assert verdict(code, entries) == expected


# --- missed_checkins ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries, expected",
    [
        ([checkin(3, pain=2)], FIRES),
        ([checkin(2, "23:59", pain=2)], QUIET),
        ([checkin(0, pain=2)], QUIET),
        ([checkin(40, pain=2)], FIRES),
        ([], LACKING),
    ],
)
def test_missed_checkins(entries: list[Entry], expected: str) -> None:
    """Info when the patient has check-ins but none on as_of or the 2 dates before it."""
    assert verdict("missed_checkins", entries) == expected


def test_it_dates_missed_checkins_from_the_third_empty_day() -> None:
    """since is the first date of the run: the third day without a check-in."""
    last = checkin(10, pain=2)
    raised = flag("missed_checkins", [checkin(12, pain=1), last])
    assert raised.level == "info"
    assert raised.since == AS_OF - timedelta(days=7)
    assert raised.evidence == {"last_checkin_date": "2026-03-21", "days_since": 10, "checkin_ids": [last.id]}


# --- since and re-raising -----------------------------------------------------------------------------


def test_it_dates_a_flag_from_the_start_of_its_unbroken_run() -> None:
    """since walks back over the days the rule held and stops at the first day it did not."""
    # Woken on days 20, 19, 18 ago (held from 18 to 5 days ago), a gap, then 4, 3, 2 ago: held from 2 days ago.
    entries = daily([20, 19, 18, 4, 3, 2], "07:00", woke_from_pain=True) + daily(range(14), "20:00", fatigue=2)
    assert flag("night_pain", entries).since == AS_OF - timedelta(days=2)
    # Two more nights, 10 and 7 days ago, bridge the gap: every 14 days from 18 days ago on hold 3 nights.
    bridged = [*entries, *daily([10, 7], "07:00", woke_from_pain=True)]
    assert flag("night_pain", bridged).since == AS_OF - timedelta(days=18)


def test_it_walks_back_further_than_any_window_for_a_long_run() -> None:
    """A pattern held for months is dated from its first day, not from a fixed look-back."""
    entries = daily(range(200), "10:00", pain=5, movement_effect="no_change")
    assert flag("pain_unrelated_to_movement", entries).since == AS_OF - timedelta(days=195)


def test_it_adds_a_new_checkin_to_the_evidence_when_it_strengthens_the_pattern() -> None:
    """The next night's report adds its id, which is what re-raises an acknowledged flag."""
    before = daily([1, 4, 8], "07:00", woke_from_pain=True)
    yesterday = flag("night_pain", before, as_of=AS_OF - timedelta(days=1))
    tonight = checkin(0, "03:10", pain=7)
    today = flag("night_pain", [*before, tonight])
    assert tonight.id not in yesterday.evidence["checkin_ids"]
    assert set(today.evidence["checkin_ids"]) == {*yesterday.evidence["checkin_ids"], tonight.id}


def test_it_orders_flags_most_severe_first() -> None:
    """Emergency before urgent before review before info."""
    entries = [
        checkin(5, symptoms=["night_sweats"]),
        checkin(4, symptoms=["night_sweats", "blood_in_urine"]),
        checkin(3, symptoms=["limb_weakness"]),
    ]
    result = judge(entries)
    assert [f.level for f in result.flags] == ["emergency", "urgent", "review", "info"]
