"""The figures behind the charts, and the sentences that stand in for them.

Pure functions over a patient's check-ins in a period of local dates: one row per
date (days without check-ins included, as rows of nulls), pain by part of day, how
moving changed the pain, and a plain-language summary of each. The pages draw the
charts from these (frontend/drawing.py) and print the same figures as tables, so what
a screen reader hears is exactly what the chart shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean
from typing import Any

from diary import units
from diary.models import CheckIn, Dose, MedicineKind, MovementEffect, PartOfDay, Relief, WeightUnit
from diary.trends.wording import fmt_date, fmt_number, fmt_range
from diary.words import plural

PARTS_OF_DAY = tuple(PartOfDay)  # night, morning, afternoon, evening: the order of a day
MOVEMENT_EFFECTS = tuple(MovementEffect)  # worse, no change, better
MOVEMENT_WORDS = {"worse": "worse", "no_change": "no different", "better": "better"}
PERIOD_CHOICES = (7, 30, 90)
DEFAULT_PERIOD = 30
# How far the average of the second week must move from the first's to call pain rising or falling.
RECENT_PAIN_CHANGE = 1.5


# The check-in fields that daily_rows and time_of_day read (selectors.trend_picture loads no others).
CHECKIN_FIELDS = (
    "recorded_at",
    "local_date",
    "part_of_day",
    "pain",
    "movement_effect",
    "fatigue",
    "sleep_hours",
    "weight_kg",
    "exercise_minutes",
    "symptoms",
)


def daily_rows(
    checkins: Iterable[CheckIn], start: date, end: date, doses: Iterable[Dose] | None = None
) -> list[dict[str, Any]]:
    """One row per local date from start to end inclusive, oldest first; days without check-ins have nulls.

    The day's first and last pain are in the order the check-ins were made; sleep is the latest
    answer of the day (last night's sleep, corrected if given twice); exercise minutes add up.
    Given the doses (with their medicines), each row also counts the day's as-needed doses
    (API.md 1.1): 0 on a date with a check-in or a dose but none as-needed, null on a date with neither.
    """
    by_date: dict[date, list[CheckIn]] = defaultdict(list)
    for checkin in sorted(checkins, key=lambda c: (c.recorded_at, c.pk)):
        by_date[checkin.local_date].append(checkin)
    doses_by_date: dict[date, list[Dose]] = defaultdict(list)
    for dose in doses or ():
        doses_by_date[dose.local_date].append(dose)
    rows = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        of_day = by_date.get(day, [])
        pains = [c.pain for c in of_day if c.pain is not None]
        fatigues = [c.fatigue for c in of_day if c.fatigue is not None]
        sleeps = [c.sleep_hours for c in of_day if c.sleep_hours is not None]
        weights = [c.weight_kg for c in of_day if c.weight_kg is not None]
        exercise = [c.exercise_minutes for c in of_day if c.exercise_minutes is not None]
        rows.append(
            {
                "date": day,
                "checkins": len(of_day),
                "pain_max": max(pains) if pains else None,
                "pain_mean": round(fmean(pains), 2) if pains else None,
                "pain_first": pains[0] if pains else None,
                "pain_last": pains[-1] if pains else None,
                "fatigue_max": max(fatigues) if fatigues else None,
                "sleep_hours": sleeps[-1] if sleeps else None,
                "weight_kg": weights[-1] if weights else None,
                "exercise_minutes": sum(exercise) if exercise else None,
                "symptoms": sorted({s for c in of_day for s in c.symptoms}),
            }
        )
        if doses is not None:
            taken = doses_by_date.get(day, [])
            known = bool(of_day or taken)
            as_needed = sum(1 for dose in taken if dose.medicine.kind == MedicineKind.AS_NEEDED)
            rows[-1]["as_needed_doses"] = as_needed if known else None
    return rows


@dataclass(frozen=True)
class PartOfDayAverage:
    part: str
    label: str
    pain: float | None
    pain_count: int
    fatigue: float | None
    fatigue_count: int


@dataclass(frozen=True)
class TimeOfDay:
    """Pain by part of day across the dates, and how moving changed it."""

    dates: list[date]
    # For each part of day, the highest pain at that part of each date (None: no score then).
    grid: dict[str, list[int | None]]
    averages: list[PartOfDayAverage]
    movement: dict[str, int]  # check-ins that said moving made pain worse / no_change / better

    @property
    def movement_answers(self) -> int:
        return sum(self.movement.values())


def time_of_day(checkins: Iterable[CheckIn], start: date, end: date) -> TimeOfDay:
    dates = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    column = {day: index for index, day in enumerate(dates)}
    grid: dict[str, list[int | None]] = {part.value: [None] * len(dates) for part in PARTS_OF_DAY}
    pains: dict[str, list[int]] = defaultdict(list)
    fatigues: dict[str, list[int]] = defaultdict(list)
    movement: Counter[str] = Counter({effect.value: 0 for effect in MOVEMENT_EFFECTS})
    for checkin in checkins:
        if checkin.local_date not in column:
            continue
        part = checkin.part_of_day
        if checkin.pain is not None:
            cells = grid[part]
            index = column[checkin.local_date]
            cells[index] = max(checkin.pain, cells[index] or 0)
            pains[part].append(checkin.pain)
            if checkin.movement_effect:
                movement[checkin.movement_effect] += 1
        if checkin.fatigue is not None:
            fatigues[part].append(checkin.fatigue)
    averages = [
        PartOfDayAverage(
            part=part.value,
            label=part.label,
            pain=round(fmean(pains[part.value]), 1) if pains[part.value] else None,
            pain_count=len(pains[part.value]),
            fatigue=round(fmean(fatigues[part.value]), 1) if fatigues[part.value] else None,
            fatigue_count=len(fatigues[part.value]),
        )
        for part in PARTS_OF_DAY
    ]
    return TimeOfDay(dates=dates, grid=grid, averages=averages, movement=dict(movement))


@dataclass(frozen=True)
class TrendPicture:
    """Everything the charts of one period show."""

    start: date
    end: date
    days: list[dict[str, Any]]
    time_of_day: TimeOfDay
    flag_dates: frozenset[date] = frozenset()  # dates of the check-ins behind the active flags
    therapy_started_on: date | None = None
    # The as-needed doses' chart is shown when the patient has one in the period or an as-needed
    # medicine on their list; relief counts the answers to "Did it help?" of the period's as-needed doses.
    shows_doses: bool = False
    relief: dict[str, int] | None = None

    @property
    def length(self) -> int:
        return len(self.days)

    def therapy_start_shown(self) -> bool:
        return self.therapy_started_on is not None and self.start <= self.therapy_started_on <= self.end


def relief_counts(doses: Iterable[Dose]) -> dict[str, int]:
    """How many as-needed doses got each answer to "Did it help?", in the answers' order; unanswered not counted."""
    counts = {relief.value: 0 for relief in Relief}
    for dose in doses:
        if dose.medicine.kind == MedicineKind.AS_NEEDED and dose.relief in counts:
            counts[dose.relief] += 1
    return counts


# Pain reliever use since therapy began (CLINICAL.md 1.1): the mean as-needed doses on the days with
# a record of the RELIEVER_USE_DAYS before therapy began, and of the last RELIEVER_USE_DAYS; a side with
# fewer than RELIEVER_USE_MIN_DAYS days with a record says too little to compare, so nothing is shown.
RELIEVER_USE_DAYS = 7
RELIEVER_USE_MIN_DAYS = 4


def reliever_use_change(
    before: Sequence[dict[str, Any]], recent: Sequence[dict[str, Any]]
) -> tuple[float, float] | None:
    """(mean before, mean recent) as-needed doses a day, over the days with a record (null rows are
    unknown days, not 0); None if either side has fewer than RELIEVER_USE_MIN_DAYS such days."""
    sides = []
    for rows in (before, recent):
        known = [row["as_needed_doses"] for row in rows if row.get("as_needed_doses") is not None]
        if len(known) < RELIEVER_USE_MIN_DAYS:
            return None
        sides.append(round(fmean(known), 1))
    return sides[0], sides[1]


def describe_reliever_use(change: tuple[float, float] | None) -> str:
    """ "Pain reliever use: 3.1 → 1.4 a day since therapy began", or "" when there is too little to compare."""
    words = describe_reliever_change(change)
    return f"Pain reliever use: {words}" if words else ""


def describe_reliever_change(change: tuple[float, float] | None) -> str:
    """The figures alone, "3.1 → 1.4 a day since therapy began", for a page that names them already."""
    if change is None:
        return ""
    before, recent = change
    return f"{fmt_number(before)} → {fmt_number(recent)} a day since therapy began"


# --- the sentences that stand in for the charts --------------------------------


def describe_recent_pain(highs: Sequence[int | None]) -> str:
    """The therapist's list, in words: "Pain 3–8 in 14 days, latest 7, rising"."""
    known = [value for value in highs if value is not None]
    if not known:
        return f"No pain scores in {len(highs)} days"
    latest = next(value for value in reversed(highs) if value is not None)
    words = f"Pain {fmt_range(known)}/10 in {len(highs)} days, latest {latest}"
    half = len(highs) // 2
    earlier = [value for value in highs[:half] if value is not None]
    later = [value for value in highs[half:] if value is not None]
    if earlier and later:
        change = fmean(later) - fmean(earlier)
        if change >= RECENT_PAIN_CHANGE:
            words += ", rising"
        elif change <= -RECENT_PAIN_CHANGE:
            words += ", falling"
        else:
            words += ", steady"
    return words


def _values(rows: Sequence[dict[str, Any]], key: str) -> list[tuple[date, Any]]:
    return [(row["date"], row[key]) for row in rows if row[key] is not None]


def _period_words(picture: TrendPicture) -> str:
    return f"the {picture.length} days from {fmt_date(picture.start)} to {fmt_date(picture.end)}"


def _markers(picture: TrendPicture) -> str:
    words = []
    flagged = sorted(day for day in picture.flag_dates if picture.start <= day <= picture.end)
    if flagged:
        words.append(f" {plural(len(flagged), 'day')} with check-ins behind a flag, marked with a diamond.")
    if picture.therapy_start_shown() and picture.therapy_started_on is not None:
        words.append(f" Therapy began on {fmt_date(picture.therapy_started_on)}.")
    return "".join(words)


def describe_pain(picture: TrendPicture) -> str:
    highest = _values(picture.days, "pain_max")
    if not highest:
        return f"No pain scores in {_period_words(picture)}."
    top_day, top = max(highest, key=lambda item: (item[1], item[0]))
    firsts = [value for _, value in _values(picture.days, "pain_first")]
    lasts = [value for _, value in _values(picture.days, "pain_last")]
    return (
        f"Pain on {len(highest)} of {_period_words(picture)}: the day's highest averaged "
        f"{fmt_number(fmean(v for _, v in highest))}/10, at most {top}/10 on {fmt_date(top_day)}. "
        f"The first score of the day averaged {fmt_number(fmean(firsts))}/10 and the last "
        f"{fmt_number(fmean(lasts))}/10.{_markers(picture)}"
    )


def describe_doses(picture: TrendPicture) -> str:
    """The as-needed doses a day on the days with a record, and the answers to "Did it help?"."""
    # Rows made without the doses have no count at all (daily_rows): nothing known, as on a day without a record.
    values = [row["as_needed_doses"] for row in picture.days if row.get("as_needed_doses") is not None]
    if not values:
        return f"No as-needed doses or check-ins in {_period_words(picture)}."
    # Short: on the printed summary it shares a row with two other charts.
    sentence = (
        f"As-needed doses: {fmt_range(values)} a day, {fmt_number(fmean(values))} on average, on "
        f"{len(values)} of {_period_words(picture)} (days with a record)."
    )
    relief = picture.relief or {}
    rated = sum(relief.values())
    if rated:
        answers = ", ".join(f"{answer} {count}" for answer, count in relief.items() if count)
        sentence += f" Relief, of {plural(rated, 'dose')} rated: {answers}."
    return sentence + _markers(picture)


def describe_fatigue(picture: TrendPicture) -> str:
    values = [value for _, value in _values(picture.days, "fatigue_max")]
    if not values:
        return f"No tiredness scores in {_period_words(picture)}."
    return (
        f"Tiredness on {len(values)} of {_period_words(picture)}: the day's highest averaged "
        f"{fmt_number(fmean(values))}/10, from {min(values)} to {max(values)}.{_markers(picture)}"
    )


def describe_sleep(picture: TrendPicture) -> str:
    values = [value for _, value in _values(picture.days, "sleep_hours")]
    if not values:
        return f"No sleep answers in {_period_words(picture)}."
    return (
        f"Sleep reported on {len(values)} of {_period_words(picture)}: "
        f"{fmt_number(fmean(values))} hours on average, from {fmt_number(min(values))} to "
        f"{fmt_number(max(values))} hours.{_markers(picture)}"
    )


def describe_weight(picture: TrendPicture, unit: str = WeightUnit.KG) -> str:
    """The weighings of the period in words, in `unit` (a patient's own choice; kg for the care team)."""
    values = [(day, units.shown_weight(kg, unit)) for day, kg in _values(picture.days, "weight_kg")]
    if not values:
        return f"No weight in {_period_words(picture)}."
    (first_day, first), (last_day, last) = values[0], values[-1]
    if len(values) == 1:
        return (
            f"Weight {fmt_number(first)} {unit} on {fmt_date(first_day)}, the only weight in {_period_words(picture)}."
        )
    change = last - first
    percent = 100 * change / first
    sign = "+" if change > 0 else "−" if change < 0 else ""
    return (
        f"Weight {fmt_number(first)} {unit} on {fmt_date(first_day)} and {fmt_number(last)} {unit} on "
        f"{fmt_date(last_day)}: {sign}{fmt_number(abs(change))} {unit} ({sign}{fmt_number(abs(percent))}%), "
        f"from {len(values)} weighings.{_markers(picture)}"
    )


def describe_exercise(picture: TrendPicture) -> str:
    values = [value for _, value in _values(picture.days, "exercise_minutes")]
    done = [value for value in values if value > 0]
    if not done:
        return f"No therapy exercise recorded in {_period_words(picture)}."
    return (
        f"Therapy exercise on {len(done)} of {_period_words(picture)}, {sum(done)} minutes in all "
        f"({fmt_number(fmean(done))} minutes on a day with exercise).{_markers(picture)}"
    )


def describe_time_of_day(picture: TrendPicture) -> str:
    """The headline of the time-of-day picture: when pain is worst (describe_movement says what moving does)."""
    scored = [average for average in picture.time_of_day.averages if average.pain is not None]
    if not scored:
        return f"No pain scores in {_period_words(picture)}."
    worst = max(scored, key=lambda average: average.pain or 0)
    best = min(scored, key=lambda average: average.pain or 0)
    words = ", ".join(f"{average.label.lower()} {fmt_number(average.pain or 0)}" for average in scored)
    sentence = f"Average pain by part of day: {words} (out of 10)."
    if len(scored) > 1 and worst.pain != best.pain:
        sentence += f" Worst in the {worst.label.lower()}, least in the {best.label.lower()}."
    return sentence


MOSTLY_PERCENT = 67


def describe_movement(picture: TrendPicture) -> str:
    movement = picture.time_of_day.movement
    answers = picture.time_of_day.movement_answers
    if not answers:
        return "No check-in said whether moving changed the pain."
    most = max(MOVEMENT_WORDS, key=lambda effect: movement[effect])
    if answers == 1:
        return f"The one check-in that said: moving made the pain {MOVEMENT_WORDS[most]}."
    counts = [f"{MOVEMENT_WORDS[effect]} in {movement[effect]}" for effect in MOVEMENT_WORDS]
    sentence = f"Of {plural(answers, 'check-in')} that said, moving made the pain " + ", ".join(counts[:2])
    sentence += f" and {counts[2]}"
    share = round(100 * movement[most] / answers)
    # "Mostly" for two in three or more; 51% is a bare majority and is called that.
    if share >= MOSTLY_PERCENT:
        return f"{sentence}: mostly {MOVEMENT_WORDS[most]} ({share}%)."
    if share > 50:
        return f"{sentence}: {MOVEMENT_WORDS[most]} in just over half ({share}%)."
    return f"{sentence}: no one answer is most of them."
