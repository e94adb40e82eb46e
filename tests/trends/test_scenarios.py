"""Whole diaries, written as days × parts of the day, and what the therapist should (and should not) see."""

from __future__ import annotations

from datetime import timedelta

from diary.trends import Entry
from tests.trends.builders import AS_OF, checkin, codes, diary, flag, judge, verdict

ALARMS = ("emergency", "urgent", "review")


def test_it_flags_night_pain_that_eases_through_the_day() -> None:
    """Woken at night, worst on waking, easing by evening: night pain (urgent) and morning pain that eases."""
    entries = diary(
        14,
        night=lambda day: {"pain": 7, "woke_from_pain": True} if day % 3 else None,  # awake with pain most nights
        morning=lambda day: {"pain": 6 + day % 2, "movement_effect": "no_change", "sleep_hours": 5.0},
        evening={"pain": 2, "movement_effect": "no_change", "fatigue": 3, "rest_helped": "somewhat"},
    )
    result = judge(entries)
    assert {"night_pain", "morning_pain_eases", "pain_unrelated_to_movement"} <= codes(result)
    night = flag("night_pain", entries)
    assert night.level == "urgent"
    assert night.title == "Pain has been waking you at night"
    assert "of the last 14 nights" in night.detail
    eases = flag("morning_pain_eases", entries)
    assert eases.level == "review"
    # First pain: the 02:00 check-in where there is one, else the morning's.
    assert eases.detail.startswith("Pain 6–7/10 first thing and 2/10 by the end of the day, on 14 of the 14 days")
    # Nothing in this diary speaks of tiredness, weight or red-flag symptoms.
    assert not codes(result) & {"persistent_fatigue", "severe_fatigue", "weight_loss", "spinal_cord_compression_signs"}


def mechanical(days: int = 28, **morning_extra: object) -> list[Entry]:
    """Ordinary mechanical back pain: low on waking, worse with movement and by evening, rest helps."""
    return diary(
        days,
        morning=lambda day: {
            "pain": 1 + day % 2,
            "movement_effect": "worse",
            "woke_from_pain": False,
            "sleep_hours": 7.5,
            "fatigue": 3,
            "rest_helped": "yes",
            "weight_kg": 82.0 - 0.1 * (day % 3) if day % 7 == 0 else None,
            **morning_extra,
        },
        evening=lambda day: {
            "pain": 4 + day % 3,
            "movement_effect": "worse",
            "fatigue": 4 + day % 2,
            "rest_helped": "yes",
            "symptoms": ["difficulty_sleeping"] if day % 9 == 0 else [],
        },
    )


def test_it_raises_no_alarm_for_ordinary_mechanical_pain() -> None:
    """Worse with movement and in the evening, low on waking, tiredness that rest relieves: no urgent or review flag."""
    result = judge(mechanical())
    assert codes(result, *ALARMS) == set()
    # No therapy date, and no dose rated for relief: the two rules that cannot judge.
    assert result.not_enough_data == ("pain_not_improving", "rescue_doses_not_helping")


def test_it_raises_no_alarm_for_mechanical_pain_with_a_full_nights_sleep() -> None:
    """Tired 4–5/10 after 7.5 hours' sleep, but rest helps: not fatigue that rest fails to relieve."""
    result = judge(mechanical(sleep_hours=8.0))
    assert "persistent_fatigue" not in codes(result)
    assert codes(result, *ALARMS) == set()


def test_it_raises_no_alarm_for_mechanical_pain_that_improves_with_therapy() -> None:
    """Therapy began 5 weeks ago and the evening peaks came down by more than 30%: nothing to review."""
    started = AS_OF - timedelta(days=35)
    entries = diary(
        49,
        morning={"pain": 1, "movement_effect": "worse", "woke_from_pain": False, "fatigue": 2, "rest_helped": "yes"},
        evening=lambda day: {"pain": 6 if day < 20 else 3, "movement_effect": "worse", "fatigue": 3},
    )
    result = judge(entries, therapy_started_on=started)
    assert codes(result, *ALARMS) == set()
    assert result.not_enough_data == ("weight_loss", "rescue_doses_not_helping")  # never weighed, no dose rated


def test_it_flags_fatigue_that_rest_does_not_relieve() -> None:
    """Tired 5–6/10 every day after a full night's sleep, rest not helping: persistent, not severe."""
    entries = diary(
        10,
        morning={"pain": 2, "fatigue": 5, "sleep_hours": 8.0, "woke_from_pain": False},
        evening=lambda day: {"pain": 3, "fatigue": 6, "rest_helped": "no" if day % 2 else "somewhat"},
    )
    raised = flag("persistent_fatigue", entries)
    assert raised.level == "review"
    assert raised.detail.startswith("Tiredness 6/10 on 7 of the last 7 days")
    assert raised.since == AS_OF - timedelta(days=5)  # the fifth day of the diary
    assert verdict("severe_fatigue", entries) == "quiet"


def test_it_flags_weight_loss_over_two_months() -> None:
    """Weighed weekly, 80 kg down to 75.5 kg over 8 weeks (5.6%): weight loss to review."""
    entries = diary(
        57,
        morning=lambda day: {"pain": 2, "weight_kg": round(80.0 - day / 56 * 4.5, 1)} if day % 7 == 0 else {"pain": 2},
    )
    raised = flag("weight_loss", entries)
    assert raised.evidence["highest_kg"] == 80.0
    assert raised.evidence["latest_kg"] == 75.5
    assert raised.detail == "Weight 75.5 kg on Mar 31, down 5.6% from 80 kg on Feb 3."


def test_it_does_not_flag_a_patient_whose_weight_holds() -> None:
    """Weekly weights wandering within a kilogram are no weight loss."""
    entries = diary(57, morning=lambda day: {"pain": 2, "weight_kg": 70.0 + (day % 3) * 0.4} if day % 7 == 0 else None)
    assert verdict("weight_loss", entries) == "quiet"


def therapy_diary(evening_pain_after: int) -> list[Entry]:
    """A week of pain 6 before therapy began 35 days ago, then evening peaks of `evening_pain_after`."""
    return diary(
        42,
        morning={"pain": 3, "movement_effect": "worse"},
        evening=lambda day: {"pain": 6 if day < 7 else evening_pain_after, "movement_effect": "worse"},
    )


def test_it_flags_pain_that_does_not_improve_after_therapy_began() -> None:
    """Peaks of 5 against a baseline of 6: 17% lower, short of the 30% that counts as improvement."""
    raised = flag("pain_not_improving", therapy_diary(5), therapy_started_on=AS_OF - timedelta(days=35))
    assert raised.evidence["baseline_window"] == "the week before therapy began"
    assert raised.evidence["baseline"]["mean_daily_max"] == 6
    assert raised.evidence["recent"]["mean_daily_max"] == 5
    assert raised.since == AS_OF - timedelta(days=7)  # 28 days after therapy began, the first day it could be judged


def test_it_does_not_flag_pain_that_improves_after_therapy_began() -> None:
    """Peaks of 4 against a baseline of 6: 33% lower is an improvement."""
    entries = therapy_diary(4)
    assert verdict("pain_not_improving", entries, therapy_started_on=AS_OF - timedelta(days=35)) == "quiet"


def test_it_flags_new_numbness_urgently_and_ongoing_numbness_for_review() -> None:
    """Tingling first reported this week is urgent; tingling through a month of chemotherapy is for review."""
    new = diary(30, morning=lambda day: {"pain": 2, "symptoms": ["limb_numbness_tingling"] if day >= 27 else []})
    ongoing = diary(30, morning={"pain": 2, "symptoms": ["limb_numbness_tingling"]})
    assert flag("limb_numbness_tingling", new).level == "urgent"
    assert flag("limb_numbness_tingling", ongoing).level == "review"
    assert flag("limb_numbness_tingling", ongoing).since == AS_OF - timedelta(days=29)


def test_it_raises_an_emergency_at_once_after_the_checkin_that_reports_it() -> None:
    """Leg weakness in today's check-in raises the emergency flag today, dated today."""
    entries = [*mechanical(), checkin(0, "13:00", pain=6, symptoms=["limb_weakness", "difficulty_walking"])]
    raised = flag("spinal_cord_compression_signs", entries)
    assert (raised.level, raised.since) == ("emergency", AS_OF)
    assert judge(entries).flags[0] == raised
