"""The records the trend module takes and gives, and the diary grouped by local date."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import Enum
from operator import attrgetter
from typing import Any, NamedTuple

LEVELS = ("emergency", "urgent", "review", "info")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Entry:
    """One check-in as the rules see it. local_date, local_time and part_of_day are in the patient's zone."""

    id: int
    local_date: date
    local_time: time
    part_of_day: str
    pain: int | None = None
    movement_effect: str | None = None
    fatigue: int | None = None
    rest_helped: str | None = None
    sleep_hours: float | None = None
    woke_from_pain: bool | None = None
    weight_kg: float | None = None
    symptoms: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DoseEntry:
    """One dose as the rules see it: its local date (of taken_at, in the patient's zone), whether its
    medicine is an as-needed one, how much it helped, and the medicine in words ("oxycodone 5 mg")."""

    id: int
    local_date: date
    as_needed: bool
    relief: str | None = None
    medicine: str = ""


@dataclass(frozen=True)
class PatientFacts:
    therapy_started_on: date | None = None


Explanation = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Finding:
    """The pattern holds. `explain` writes the detail (plain numbers) and the evidence (figures, check-in ids).

    Writing them waits until a flag is shown: `since` re-judges a rule on every earlier day of its
    run and needs to know only whether it held, and for a long run the words would cost more than
    the judging.
    """

    explain: Callable[[], Explanation]
    level: str | None = None  # only for rules whose level depends on the evidence


class _NotEnoughData(Enum):
    NOT_ENOUGH_DATA = "not enough data"


NOT_ENOUGH_DATA = _NotEnoughData.NOT_ENOUGH_DATA
Outcome = Finding | None | _NotEnoughData


@dataclass(frozen=True)
class Flag:
    """A rule that holds, in the patient's words (title, detail) and the clinician's."""

    code: str
    level: str
    title: str
    detail: str
    since: date
    evidence: Mapping[str, Any]
    source: str
    name: str = ""
    clinician_title: str = ""
    clinician_detail: str = ""
    # The highest 0–10 score (the rule's `score`) among the check-ins behind the flag; None for other rules.
    peak: int | None = None


@dataclass(frozen=True)
class Evaluation:
    as_of: date
    flags: tuple[Flag, ...]
    not_enough_data: tuple[str, ...]


# Time order within a local date. In the hour repeated when clocks go back, 01:30 comes twice: the
# time's fold (0 for the first, 1 for the second, as zoneinfo sets it) keeps them in the order they happened.
_time_order = attrgetter("local_time", "local_time.fold", "id")


class Day(NamedTuple):
    """One local date of the diary: its check-ins, and the daily figures the rules read, worked out once."""

    local_date: date
    entries: list[Entry]  # time order
    scored: list[Entry]  # those with a pain score, time order: the first is the day's first pain, the last its last
    top: Entry | None  # the earliest check-in with the day's highest pain
    pain_max: int | None
    night_pain: int | None  # the highest pain at a night check-in (00:00–05:59)
    woke_from_pain: bool | None  # True if any check-in says pain woke them, False if all that answered say not
    fatigue_max: int | None
    rest_helped: list[str]  # the day's answers to "did rest or sleep ease the tiredness"
    sleep_hours: float | None  # the longest sleep reported
    symptoms: frozenset[str]

    @classmethod
    def of(cls, day: date, entries: list[Entry]) -> Day:
        # One pass over the day's check-ins: a year of diary builds 365 of these on every evaluation.
        entries.sort(key=_time_order)
        scored: list[Entry] = []
        top = None
        night_pain = woke = fatigue_max = sleep_hours = None
        rest_helped: list[str] = []
        symptoms: set[str] = set()
        for entry in entries:
            if entry.pain is not None:
                scored.append(entry)
                if top is None or entry.pain > (top.pain or 0):
                    top = entry
                if entry.part_of_day == "night" and (night_pain is None or entry.pain > night_pain):
                    night_pain = entry.pain
            if entry.woke_from_pain is not None:
                woke = bool(woke) or entry.woke_from_pain
            if entry.fatigue is not None and (fatigue_max is None or entry.fatigue > fatigue_max):
                fatigue_max = entry.fatigue
            if entry.rest_helped is not None:
                rest_helped.append(entry.rest_helped)
            if entry.sleep_hours is not None and (sleep_hours is None or entry.sleep_hours > sleep_hours):
                sleep_hours = entry.sleep_hours
            symptoms.update(entry.symptoms)
        return cls(
            day,
            entries,
            scored,
            top,
            top.pain if top else None,
            night_pain,
            woke,
            fatigue_max,
            rest_helped,
            sleep_hours,
            frozenset(symptoms),
        )


class Diary:
    """A patient's check-ins grouped by local date; only dates with check-ins have a Day.

    The doses are kept beside them: `record_dates` are the dates with a check-in or a dose, the
    "days with a record" of CLINICAL.md 1.1, on which the number of as-needed doses is known.
    """

    def __init__(self, entries: Iterable[Entry], doses: Iterable[DoseEntry] = ()) -> None:
        by_date: dict[date, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_date[entry.local_date].append(entry)
        self.dates = sorted(by_date)
        self.days = [Day.of(day, by_date[day]) for day in self.dates]
        self.weighed = [e for day in self.days for e in day.entries if e.weight_kg is not None]
        self.weighed_dates = [e.local_date for e in self.weighed]
        self.doses_by_date: dict[date, list[DoseEntry]] = defaultdict(list)
        for dose in doses:
            self.doses_by_date[dose.local_date].append(dose)
        self.record_dates = sorted(set(self.dates) | set(self.doses_by_date))

    def record_days(self, as_of: date, days: int) -> list[tuple[date, list[DoseEntry]]]:
        """The days with a record among the `days` local dates ending on as_of, oldest first, each with
        its as-needed doses (an empty list is a known 0; a date without any record is left out)."""
        start = bisect_left(self.record_dates, as_of - timedelta(days=days - 1))
        return [
            (day, sorted((d for d in self.doses_by_date.get(day, []) if d.as_needed), key=attrgetter("id")))
            for day in self.record_dates[start : bisect_right(self.record_dates, as_of)]
        ]

    def window(self, as_of: date, days: int) -> list[Day]:
        """The Days among the `days` local dates ending on as_of, oldest first."""
        start = bisect_left(self.dates, as_of - timedelta(days=days - 1))
        return self.days[start : bisect_right(self.dates, as_of)]

    def latest_on_or_before(self, as_of: date) -> Day | None:
        index = bisect_right(self.dates, as_of)
        return self.days[index - 1] if index else None

    def weights_between(self, first: date, last: date) -> list[Entry]:
        """The check-ins with a weight from `first` to `last` inclusive, in time order."""
        return self.weighed[bisect_left(self.weighed_dates, first) : bisect_right(self.weighed_dates, last)]
