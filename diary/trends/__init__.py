"""The trend module: the patterns CLINICAL.md asks us to watch for, found in a diary.

Pure Python on purpose: no Django, no clock, no database. It takes plain frozen
records (the check-ins as the rules need them, and the few profile facts) and
an explicit as-of date, and returns frozen Flag records. That keeps every rule
testable from a table and lets the same code run anywhere.

Each rule is one function named after its flag code, with its source in the
docstring. A rule answers one of three ways:
- a Finding: the pattern holds; it can explain itself (detail and evidence);
- None: judged, and the pattern does not hold;
- NOT_ENOUGH_DATA: the diary cannot show the pattern yet, so the rule never guesses.

The package: `records` (what goes in and comes out, and the diary grouped by
local date), `rules` (the catalogue, one function per flag), `wording` (dates
and numbers in plain words), and `evaluate` here.

"Last N days" always means the N local dates ending on the as-of date, inclusive.
Every explanation's evidence names the check-ins behind it under "checkin_ids": an
acknowledged flag is raised again when a later check-in adds a new id. The medicine rules
(version 1.1) are judged on doses: their evidence names them under "dose_ids", and their
"checkin_ids" is empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from diary.trends.records import (
    LEVEL_RANK,
    LEVELS,
    NOT_ENOUGH_DATA,
    Day,
    Diary,
    DoseEntry,
    Entry,
    Evaluation,
    Finding,
    Flag,
    Outcome,
    PatientFacts,
)
from diary.trends.rules import CORD_COMPRESSION_SYMPTOMS, MISSED_AFTER_DAYS, RULES, RULES_BY_CODE, Rule, has_missed

__all__ = [
    "CORD_COMPRESSION_SYMPTOMS",
    "LEVELS",
    "LEVEL_RANK",
    "MISSED_AFTER_DAYS",
    "NOT_ENOUGH_DATA",
    "RULES",
    "RULES_BY_CODE",
    "Day",
    "Diary",
    "DoseEntry",
    "Entry",
    "Evaluation",
    "Finding",
    "Flag",
    "Outcome",
    "PatientFacts",
    "Rule",
    "evaluate",
    "has_missed",
]


def _since(rule: Rule, diary: Diary, facts: PatientFacts, as_of: date) -> date:
    """The first date of the unbroken run of days, ending on as_of, on which the rule held (at any level).

    Before the first record (check-in or dose) no rule can hold, so the walk back stops there.
    """
    since = as_of
    first = diary.record_dates[0] if diary.record_dates else as_of
    while since > first and isinstance(rule.judge(diary, facts, since - timedelta(days=1)), Finding):
        since -= timedelta(days=1)
    return since


def _peak(rule: Rule, diary: Diary, evidence: Mapping[str, Any]) -> int | None:
    """The highest of the rule's score among the check-ins behind the flag."""
    if rule.score is None:
        return None
    ids = set(evidence.get("checkin_ids", ()))
    scores = [
        getattr(entry, rule.score)
        for day in diary.days
        for entry in day.entries
        if entry.id in ids and getattr(entry, rule.score) is not None
    ]
    return max(scores, default=None)


def evaluate(entries: Iterable[Entry], facts: PatientFacts, as_of: date, doses: Iterable[DoseEntry] = ()) -> Evaluation:
    """Every rule of the catalogue, judged on the diary (check-ins and doses) as it stood at the end of as_of."""
    diary = Diary(
        (entry for entry in entries if entry.local_date <= as_of),
        (dose for dose in doses if dose.local_date <= as_of),
    )
    flags: list[Flag] = []
    lacking: list[str] = []
    for rule in RULES:
        outcome = rule.judge(diary, facts, as_of)
        if outcome is NOT_ENOUGH_DATA:
            lacking.append(rule.code)
        elif isinstance(outcome, Finding):
            detail, evidence = outcome.explain()
            flags.append(
                Flag(
                    code=rule.code,
                    level=outcome.level or rule.level,
                    title=rule.title,
                    detail=detail,
                    since=_since(rule, diary, facts, as_of),
                    evidence=evidence,
                    source=rule.source,
                    name=rule.name,
                    clinician_title=rule.clinician_title,
                    clinician_detail=rule.clinician_detail(detail, evidence) if rule.clinician_detail else detail,
                    peak=_peak(rule, diary, evidence),
                )
            )
    flags.sort(key=lambda flag: LEVEL_RANK[flag.level])
    return Evaluation(as_of=as_of, flags=tuple(flags), not_enough_data=tuple(lacking))
