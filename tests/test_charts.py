"""The figures behind the charts (diary/charts.py) and the sentences that stand in for them.

Check-ins here are plain records with the fields the functions read: no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from diary import charts

START = date(2026, 3, 1)
END = date(2026, 3, 7)
_ids = iter(range(1, 10_000))


def entry(day: date, hour: int, part: str = "morning", **fields: Any) -> Any:
    """A check-in on a local date; recorded_at only orders the day's check-ins."""
    values = {
        "pain": None,
        "movement_effect": None,
        "fatigue": None,
        "sleep_hours": None,
        "weight_kg": None,
        "exercise_minutes": None,
        "symptoms": [],
        **fields,
    }
    recorded_at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return SimpleNamespace(pk=next(_ids), local_date=day, recorded_at=recorded_at, part_of_day=part, **values)


def picture(checkins: list[Any], start: date = START, end: date = END, **extra: Any) -> charts.TrendPicture:
    return charts.TrendPicture(
        start=start,
        end=end,
        days=charts.daily_rows(checkins, start, end),
        time_of_day=charts.time_of_day(checkins, start, end),
        **extra,
    )


class TestDailyRows:
    def test_it_has_one_row_per_date_including_days_without_checkins(self) -> None:
        rows = charts.daily_rows([entry(date(2026, 3, 3), 8, pain=5)], START, END)

        assert [row["date"] for row in rows] == [START + timedelta(days=i) for i in range(7)]
        empty = rows[0]
        assert empty["checkins"] == 0
        assert all(empty[key] is None for key in ("pain_max", "pain_first", "pain_last", "fatigue_max", "sleep_hours"))
        assert rows[2]["pain_max"] == 5

    def test_first_and_last_pain_follow_the_order_they_were_recorded_in_not_the_order_given(self) -> None:
        day = date(2026, 3, 2)
        evening = entry(day, 20, "evening", pain=2)
        morning = entry(day, 7, "morning", pain=8)
        afternoon = entry(day, 14, "afternoon", pain=9)

        (row,) = [r for r in charts.daily_rows([evening, afternoon, morning], START, END) if r["date"] == day]

        assert (row["pain_first"], row["pain_last"], row["pain_max"]) == (8, 2, 9)
        assert row["pain_mean"] == pytest.approx(19 / 3, abs=0.01)
        assert row["checkins"] == 3

    def test_it_adds_up_exercise_and_takes_the_latest_sleep_and_weight(self) -> None:
        day = date(2026, 3, 4)
        checkins = [
            entry(day, 7, sleep_hours=5.0, weight_kg=70.0, exercise_minutes=10),
            entry(day, 9, sleep_hours=6.5, exercise_minutes=15),
            entry(day, 19, "evening", weight_kg=69.5, fatigue=7),
            entry(day, 21, "evening", fatigue=4),
        ]

        (row,) = [r for r in charts.daily_rows(checkins, START, END) if r["date"] == day]

        assert row["exercise_minutes"] == 25
        assert row["sleep_hours"] == 6.5
        assert row["weight_kg"] == 69.5
        assert row["fatigue_max"] == 7

    def test_it_leaves_out_checkins_outside_the_period(self) -> None:
        rows = charts.daily_rows([entry(START - timedelta(days=1), 8, pain=9)], START, END)

        assert all(row["checkins"] == 0 for row in rows)


class TestTimeOfDay:
    def test_each_cell_is_the_highest_pain_at_that_part_of_that_date(self) -> None:
        day = date(2026, 3, 5)
        checkins = [
            entry(day, 2, "night", pain=6),
            entry(day, 4, "night", pain=8),
            entry(day, 8, "morning", pain=5),
            entry(day, 13, "afternoon"),  # no pain score: the cell stays empty
        ]

        tod = charts.time_of_day(checkins, START, END)

        column = tod.dates.index(day)
        assert tod.grid["night"][column] == 8
        assert tod.grid["morning"][column] == 5
        assert tod.grid["afternoon"][column] is None
        assert tod.grid["evening"][column] is None
        assert all(cell is None for part in tod.grid for i, cell in enumerate(tod.grid[part]) if i != column)

    def test_a_zero_is_a_score_not_a_gap(self) -> None:
        tod = charts.time_of_day([entry(START, 20, "evening", pain=0)], START, END)

        assert tod.grid["evening"][0] == 0

    def test_averages_by_part_of_day_count_every_checkin(self) -> None:
        checkins = [
            entry(START, 3, "night", pain=8, fatigue=6),
            entry(START + timedelta(days=1), 3, "night", pain=7),
            entry(START, 20, "evening", pain=2, fatigue=3),
        ]

        averages = {a.part: a for a in charts.time_of_day(checkins, START, END).averages}

        assert [a.part for a in charts.time_of_day(checkins, START, END).averages] == [
            "night",
            "morning",
            "afternoon",
            "evening",
        ]
        assert (averages["night"].pain, averages["night"].pain_count) == (7.5, 2)
        assert (averages["night"].fatigue, averages["night"].fatigue_count) == (6, 1)
        assert averages["morning"].pain is None
        assert averages["evening"].pain == 2

    def test_movement_counts_only_checkins_with_a_pain_score_and_an_answer(self) -> None:
        checkins = [
            entry(START, 8, pain=6, movement_effect="no_change"),
            entry(START, 9, pain=6, movement_effect="no_change"),
            entry(START, 10, pain=5, movement_effect="worse"),
            entry(START, 11, pain=5),  # no answer
            entry(START, 12, movement_effect="better"),  # no pain score: not counted
        ]

        tod = charts.time_of_day(checkins, START, END)

        assert tod.movement == {"worse": 1, "no_change": 2, "better": 0}
        assert tod.movement_answers == 3


class TestSentences:
    def test_pain_says_the_days_the_average_the_peak_and_first_against_last(self) -> None:
        checkins = [
            entry(date(2026, 3, 2), 7, pain=8),
            entry(date(2026, 3, 2), 20, "evening", pain=2),
            entry(date(2026, 3, 3), 7, pain=6),
            entry(date(2026, 3, 3), 20, "evening", pain=4),
        ]

        words = charts.describe_pain(picture(checkins))

        assert words.startswith("Pain on 2 of the 7 days from Mar 1 to Mar 7")
        assert "highest averaged 7/10, at most 8/10 on Mar 2" in words
        assert "first score of the day averaged 7/10 and the last 3/10" in words

    def test_it_says_so_when_there_is_nothing_to_show(self) -> None:
        empty = picture([])

        assert charts.describe_pain(empty) == "No pain scores in the 7 days from Mar 1 to Mar 7."
        assert charts.describe_fatigue(empty).startswith("No tiredness scores")
        assert charts.describe_sleep(empty).startswith("No sleep answers")
        assert charts.describe_weight(empty).startswith("No weight")
        assert charts.describe_exercise(empty).startswith("No therapy exercise")
        assert charts.describe_time_of_day(empty).startswith("No pain scores")
        assert charts.describe_movement(empty) == "No check-in said whether moving changed the pain."

    def test_weight_says_the_change_with_its_sign(self) -> None:
        losing = picture([entry(START, 8, weight_kg=80.0), entry(END, 8, weight_kg=76.0)])
        gaining = picture([entry(START, 8, weight_kg=60.0), entry(END, 8, weight_kg=61.5)])
        once = picture([entry(START, 8, weight_kg=60.0)])

        assert "80 kg on Mar 1 and 76 kg on Mar 7: −4 kg (−5%)" in charts.describe_weight(losing)
        assert "+1.5 kg (+2.5%)" in charts.describe_weight(gaining)
        assert "the only weight" in charts.describe_weight(once)

    def test_time_of_day_names_the_worst_and_least_part_and_what_moving_does(self) -> None:
        checkins = [
            entry(START, 3, "night", pain=8, movement_effect="no_change"),
            entry(START, 8, "morning", pain=7, movement_effect="no_change"),
            entry(START, 20, "evening", pain=2, movement_effect="no_change"),
            entry(START, 21, "evening", pain=3, movement_effect="worse"),
        ]

        words = charts.describe_time_of_day(picture(checkins))

        assert words == "Average pain by part of day: night 8, morning 7, evening 2.5 (out of 10). " + (
            "Worst in the night, least in the evening."
        )
        assert charts.describe_movement(picture(checkins)) == (
            "Of 4 check-ins that said, moving made the pain worse in 1, no different in 3 and better in 0: "
            "mostly no different (75%)."
        )

    def test_it_names_no_worst_part_when_all_are_equal_and_no_majority_when_there_is_none(self) -> None:
        checkins = [
            entry(START, 8, "morning", pain=5, movement_effect="worse"),
            entry(START, 20, "evening", pain=5, movement_effect="better"),
        ]

        assert "Worst" not in charts.describe_time_of_day(picture(checkins))
        assert "no one answer is most of them" in charts.describe_movement(picture(checkins))

    def test_one_answer_is_not_counted_as_check_ins_and_a_bare_majority_is_not_mostly(self) -> None:
        """Issue 15: "Of 1 check-ins" and "mostly better (51%)" read wrong."""
        one = [entry(START, 8, "morning", pain=5, movement_effect="better")]
        assert charts.describe_movement(picture(one)) == "The one check-in that said: moving made the pain better."
        split = [entry(START, hour, "morning", pain=5, movement_effect="better") for hour in (6, 7, 8)] + [
            entry(START, hour, "evening", pain=5, movement_effect="worse") for hour in (18, 19)
        ]
        assert charts.describe_movement(picture(split)).endswith(": better in just over half (60%).")

    def test_flag_days_and_therapy_start_are_said_when_they_are_in_the_period(self) -> None:
        checkins = [entry(START, 8, pain=5)]
        inside = picture(checkins, flag_dates=frozenset({START, START - timedelta(days=3)}), therapy_started_on=END)
        outside = picture(checkins, therapy_started_on=START - timedelta(days=1))

        assert "1 day with check-ins behind a flag, marked with a diamond." in charts.describe_pain(inside)
        assert "Therapy began on Mar 7." in charts.describe_pain(inside)
        assert "Therapy began" not in charts.describe_pain(outside)
        assert "flag" not in charts.describe_pain(outside)


class TestRecentPain:
    @pytest.mark.parametrize(
        ("highs", "words"),
        [
            ([None] * 14, "No pain scores in 14 days"),
            ([2] * 7 + [5] * 7, "Pain 2–5/10 in 14 days, latest 5, rising"),
            ([7] * 7 + [5] * 7, "Pain 5–7/10 in 14 days, latest 5, falling"),
            ([4, 5] * 7, "Pain 4–5/10 in 14 days, latest 5, steady"),
            # A change just under the threshold is steady.
            ([3] * 7 + [4] * 6 + [5], "Pain 3–5/10 in 14 days, latest 5, steady"),
            # Only one week with scores: no direction to tell.
            ([None] * 7 + [6, None, 7, None, None, None, None], "Pain 6–7/10 in 14 days, latest 7"),
        ],
    )
    def test_it_says_range_latest_and_direction(self, highs: list[int | None], words: str) -> None:
        assert charts.describe_recent_pain(highs) == words


def dose(day: date, kind: str = "as_needed", relief: str | None = None) -> Any:
    """A dose on a local date, with the medicine's kind the figures read."""
    return SimpleNamespace(pk=next(_ids), local_date=day, medicine=SimpleNamespace(kind=kind), relief=relief)


class TestAsNeededDoses:
    def test_the_sentence_gives_the_range_the_mean_of_days_with_a_record_and_the_relief_answers(self) -> None:
        doses = [dose(START), dose(START), dose(START, relief="none"), dose(date(2026, 3, 3), relief="good")]
        doses += [dose(date(2026, 3, 3), kind="regular", relief="none")]  # a regular medicine's dose is not counted
        checkins = [entry(date(2026, 3, 2), 8, pain=4)]  # a day with a record and no dose: 0
        shown = charts.TrendPicture(
            start=START,
            end=END,
            days=charts.daily_rows(checkins, START, END, doses=doses),
            time_of_day=charts.time_of_day(checkins, START, END),
            shows_doses=True,
            relief=charts.relief_counts(doses),
        )

        assert [row["as_needed_doses"] for row in shown.days] == [3, 0, 1, None, None, None, None]
        assert charts.describe_doses(shown) == (
            "As-needed doses: 0–3 a day, 1.3 on average, on 3 of the 7 days from Mar 1 to Mar 7 (days with a "
            "record). Relief, of 2 doses rated: none 1, good 1."
        )

    def test_a_period_without_a_record_says_so(self) -> None:
        assert charts.describe_doses(picture([])).startswith("No as-needed doses or check-ins in the 7 days")

    def test_relief_counts_only_answered_as_needed_doses_in_the_answers_order(self) -> None:
        doses = [dose(START, relief="good"), dose(START, relief="none"), dose(START), dose(START, "regular", "some")]

        assert charts.relief_counts(doses) == {"none": 1, "some": 0, "good": 1, "complete": 0}


def rows(values: list[int | None]) -> list[dict[str, Any]]:
    return [{"as_needed_doses": value} for value in values]


class TestRelieverUseSinceTherapy:
    def test_it_compares_the_means_of_the_days_with_a_record(self) -> None:
        change = charts.reliever_use_change(rows([3, 4, None, 2, 3, None, 4]), rows([1, 2, 1, None, 2, 1, 1]))

        assert change == (3.2, 1.3)
        assert charts.describe_reliever_use(change) == "Pain reliever use: 3.2 → 1.3 a day since therapy began"

    @pytest.mark.parametrize(
        ("before", "recent", "shown"),
        [
            ([3, 3, 3, None, None, None, None], [1, 1, 1, 1, None, None, None], False),  # 3 days before: too few
            ([3, 3, 3, 3, None, None, None], [1, 1, 1, None, None, None, None], False),  # 3 days lately: too few
            ([3, 3, 3, 3, None, None, None], [1, 1, 1, 1, None, None, None], True),  # 4 and 4: enough
        ],
    )
    def test_too_few_days_with_a_record_on_either_side_shows_nothing(
        self, before: list[int | None], recent: list[int | None], shown: bool
    ) -> None:
        change = charts.reliever_use_change(rows(before), rows(recent))

        assert (change is not None) is shown
        assert (charts.describe_reliever_use(change) != "") is shown
