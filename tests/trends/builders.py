"""Small builders for trend tests: check-ins by "days ago and clock time", whole diaries by part of day.

Everything here is plain Python: the trend module never touches the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from diary.trends import DoseEntry, Entry, Evaluation, Flag, PatientFacts, evaluate

# A Tuesday; the diary's "today" unless a test says otherwise.
AS_OF = date(2026, 3, 31)

_next_id = itertools.count(1)

# The clock times the diary builder uses for each part of the day.
PART_TIMES = {"night": time(2, 0), "morning": time(8, 0), "afternoon": time(14, 0), "evening": time(20, 0)}


def part_of_day(moment: time) -> str:
    """CLINICAL.md: night 00:00–05:59, morning 06:00–11:59, afternoon 12:00–17:59, evening 18:00–23:59."""
    if moment.hour < 6:
        return "night"
    if moment.hour < 12:
        return "morning"
    if moment.hour < 18:
        return "afternoon"
    return "evening"


def checkin(days_ago: int = 0, at: str | time = "08:00", *, as_of: date = AS_OF, **answers: Any) -> Entry:
    """One check-in `days_ago` local dates before as_of, at a local clock time ("HH:MM")."""
    moment = at if isinstance(at, time) else time.fromisoformat(at)
    symptoms = frozenset(answers.pop("symptoms", ()))
    return Entry(
        id=next(_next_id),
        local_date=as_of - timedelta(days=days_ago),
        local_time=moment,
        part_of_day=part_of_day(moment),
        symptoms=symptoms,
        **answers,
    )


def checkin_at(moment: datetime, zone: str, **answers: Any) -> Entry:
    """A check-in sent at an aware instant, seen in the patient's zone as the server sees it."""
    assert moment.tzinfo is not None, "build time-zone cases from aware datetimes"
    local = moment.astimezone(ZoneInfo(zone))
    symptoms = frozenset(answers.pop("symptoms", ()))
    return Entry(
        id=next(_next_id),
        local_date=local.date(),
        local_time=local.time(),
        part_of_day=part_of_day(local.time()),
        symptoms=symptoms,
        **answers,
    )


def daily(days: Iterable[int] | int, at: str = "08:00", *, as_of: date = AS_OF, **answers: Any) -> list[Entry]:
    """The same check-in on each of some days: `daily(5, ...)` is the last 5 days, or give the days ago."""
    days_ago = range(days) if isinstance(days, int) else days
    return [checkin(n, at, as_of=as_of, **answers) for n in days_ago]


Part = Mapping[str, Any] | Callable[[int], Mapping[str, Any] | None] | None


def diary(
    days: int,
    *,
    as_of: date = AS_OF,
    night: Part = None,
    morning: Part = None,
    afternoon: Part = None,
    evening: Part = None,
) -> list[Entry]:
    """`days` days of diary ending on as_of, with a check-in at each part of the day that has answers.

    A part is the answers given every day, or a function of the day's index (0 = the first day,
    oldest) returning that day's answers, or None for no check-in.
    """
    entries = []
    parts = {"night": night, "morning": morning, "afternoon": afternoon, "evening": evening}
    for index in range(days):
        for part, answers in parts.items():
            given = answers(index) if callable(answers) else answers
            if given is not None:
                entries.append(checkin(days - 1 - index, PART_TIMES[part], as_of=as_of, **given))
    return entries


def dose(
    days_ago: int = 0, *, as_needed: bool = True, relief: str | None = None, medicine: str = "oxycodone 5 mg"
) -> DoseEntry:
    """One dose `days_ago` local dates before AS_OF, of an as-needed medicine unless told otherwise."""
    return DoseEntry(
        id=next(_next_id),
        local_date=AS_OF - timedelta(days=days_ago),
        as_needed=as_needed,
        relief=relief,
        medicine=medicine,
    )


def judge(
    entries: Iterable[Entry],
    *,
    as_of: date = AS_OF,
    therapy_started_on: date | None = None,
    doses: Iterable[DoseEntry] = (),
) -> Evaluation:
    """Evaluate, checking what every evaluation must satisfy whatever the rule.

    Every flag names what is behind it: check-ins under checkin_ids, or (the medicine rules) doses under dose_ids.
    """
    entries, doses = list(entries), list(doses)
    result = evaluate(entries, PatientFacts(therapy_started_on=therapy_started_on), as_of, doses)
    known = {entry.id for entry in entries if entry.local_date <= as_of}
    known_doses = {dose.id for dose in doses if dose.local_date <= as_of}
    for flag in result.flags:
        assert flag.code not in result.not_enough_data
        ids = flag.evidence["checkin_ids"]
        dose_ids = flag.evidence.get("dose_ids", [])
        assert ids or dose_ids, flag.code
        assert ids == sorted(set(ids)) and set(ids) <= known, (flag.code, ids)
        assert dose_ids == sorted(set(dose_ids)) and set(dose_ids) <= known_doses, (flag.code, dose_ids)
        assert flag.since <= as_of
    return result


def verdict(code: str, entries: Iterable[Entry], **when: Any) -> str:
    """What one rule made of a diary: "fires", "quiet" (judged, does not hold) or "not enough data"."""
    result = judge(entries, **when)
    if any(flag.code == code for flag in result.flags):
        return "fires"
    return "not enough data" if code in result.not_enough_data else "quiet"


def flag(code: str, entries: Iterable[Entry], **when: Any) -> Flag:
    """The flag a rule raised on this diary (failing the test when it raised none)."""
    result = judge(entries, **when)
    found = [f for f in result.flags if f.code == code]
    assert found, f"{code} did not fire: flags {[f.code for f in result.flags]}, lacking {result.not_enough_data}"
    return found[0]


def codes(result: Evaluation, *levels: str) -> set[str]:
    return {f.code for f in result.flags if not levels or f.level in levels}
