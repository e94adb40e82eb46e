"""What a flag asks of people: what to do by level, when an acknowledgement still covers it, when it is news.

CLINICAL.md 1.1, "Alerts that stay meaningful". Pure functions over the stored flags (the dicts
that diary/flags.py flag_data writes) and plain dates, with no database and no clock, so the same
rules serve the check-in answer, the pages, the therapist's list and the alert-load benchmark.

- An acknowledgement keeps covering a flag until the evidence is *worse or different* (a symptom
  it did not see, a higher level, a score 2 or more points above the highest it saw), the
  follow-up date passes while the flag still holds, or the flag ends and comes back (a new run).
- A check-in's alert is *new* when the check-in raised the flag (it was not active before), raised
  it again (worse or different than before, or than what the care team acknowledged), or, for an
  emergency flag, itself reports one of that flag's symptoms. Only new alerts earn the full-screen
  "what to do now"; the others get a calm line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from diary import trends

ALERT_LEVELS = ("emergency", "urgent")

# What the patient should do, by level: the same words on every page (CLINICAL.md 1.1).
PATIENT_ACTION = {
    "emergency": "Get help now: call your acute oncology line",
    "urgent": "Contact your care team within 24 hours",
    "review": "Mention this at your next visit or in a message to your therapist",
    "info": "Nothing to do",
}
LEVEL_WORD = {"emergency": "Emergency", "urgent": "Urgent", "review": "Review", "info": "Info"}

# A score this many points above the highest the care team saw is worse (Farrar 2001: 2 points matter).
WORSE_BY_POINTS = 2
FOLLOW_UP_DAYS = {"emergency": 1, "urgent": 7, "review": 7, "info": 7}


def default_follow_up(level: str, today: date) -> date:
    """When the care team looks again unless they choose otherwise: the next day for an emergency, else a week."""
    return today + timedelta(days=FOLLOW_UP_DAYS[level])


@dataclass(frozen=True)
class Seen:
    """What a flag showed when someone last looked at it: its level, symptoms and highest score."""

    level: str
    symptoms: frozenset[str] = frozenset()
    peak: int | None = None

    @classmethod
    def of(cls, flag: Mapping[str, Any]) -> Seen:
        return cls(level=flag["level"], symptoms=symptoms_of(flag), peak=flag.get("peak"))


@dataclass(frozen=True)
class Acknowledged:
    """An acknowledgement as the policy needs it. `on` is its date in the patient's calendar."""

    seen: Seen
    on: date
    follow_up_on: date | None  # None: made before version 1.1, which covered exactly the check-ins it saw
    checkin_ids: frozenset[int] = frozenset()
    dose_ids: frozenset[int] = frozenset()


def symptoms_of(flag: Mapping[str, Any]) -> frozenset[str]:
    evidence = flag.get("evidence") or {}
    return frozenset(evidence.get("symptoms") or ())


def worse_or_different(flag: Mapping[str, Any], seen: Seen) -> bool:
    """A higher level, a symptom not seen, or a score at least 2 points above the highest seen."""
    if trends.LEVEL_RANK[flag["level"]] < trends.LEVEL_RANK.get(seen.level, len(trends.LEVELS)):
        return True
    if symptoms_of(flag) - seen.symptoms:
        return True
    peak = flag.get("peak")
    return peak is not None and seen.peak is not None and peak >= seen.peak + WORSE_BY_POINTS


def still_covers(ack: Acknowledged, flag: Mapping[str, Any], as_of: date) -> bool:
    """Whether an acknowledgement still covers a flag as it stands on `as_of` (the patient's today)."""
    if ack.follow_up_on is None:
        evidence = flag["evidence"]
        return (
            set(evidence.get("checkin_ids", ())) <= ack.checkin_ids
            and set(evidence.get("dose_ids", ())) <= ack.dose_ids
        )
    if as_of > ack.follow_up_on:
        return False
    if date.fromisoformat(str(flag["since"])) > ack.on:
        return False  # the pattern ended and began again after it was acknowledged
    return not worse_or_different(flag, ack.seen)


def news(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]], reported: Iterable[str]) -> list[str]:
    """The codes of the emergency and urgent flags that are news after a check-in.

    `before` and `after` are the active flags just before and after the check-in, each with its
    "acknowledged" (None or not) as the pages show it; `reported` the check-in's symptom codes.
    """
    previous = {flag["code"]: flag for flag in before}
    reported = frozenset(reported)
    codes = []
    for flag in after:
        if flag["level"] not in ALERT_LEVELS:
            continue
        old = previous.get(flag["code"])
        rule = trends.RULES_BY_CODE[flag["code"]]
        if (
            old is None
            or worse_or_different(flag, Seen.of(old))
            or (old.get("acknowledged") and not flag.get("acknowledged"))
            or (flag["level"] == "emergency" and reported & rule.symptoms)
        ):
            codes.append(flag["code"])
    return codes


def _day_month(day: date) -> str:
    return f"{day.day} {day:%b}"


def topic(flag: Mapping[str, Any]) -> str:
    """The flag in a few words for a sentence: "night pain"."""
    name = trends.RULES_BY_CODE[flag["code"]].name
    return name[:1].lower() + name[1:]


def status_line(flag: Mapping[str, Any], *, acknowledged_on: date | None = None) -> str:
    """The calm line about an open flag that is not news: what to do, or that the care team has seen it.

    `acknowledged_on` is the acknowledgement's date in the patient's calendar, when there is one.
    """
    acknowledged = flag.get("acknowledged")
    if acknowledged and acknowledged_on is not None:
        by = acknowledged["by"]["display_name"]
        line = f"Your care team has seen what you reported about {topic(flag)}: {by} on {_day_month(acknowledged_on)}."
        if acknowledged.get("note"):
            line += f" Their note: “{acknowledged['note']}”"
        return line
    since = date.fromisoformat(str(flag["since"]))
    if flag["level"] == "emergency":
        return (
            f"You reported {topic(flag)} on {_day_month(since)} or since. "
            "If a doctor has not checked you yet, call your acute oncology line now."
        )
    return f"{PATIENT_ACTION[flag['level']]} about {topic(flag)}: open since {_day_month(since)}."
