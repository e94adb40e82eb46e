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
    "LONGEST_LOOKBACK",
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
    "evaluate_recent",
    "has_missed",
]

# The furthest any rule reads back from the date it judges (weight_loss: 209 days).
LONGEST_LOOKBACK = max(rule.lookback for rule in RULES)


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


def evaluate_recent(
    entries: Iterable[Entry], facts: PatientFacts, as_of: date, doses: Iterable[DoseEntry] = (), *, start: date
) -> Evaluation | None:
    """evaluate() on a diary whose check-ins before `start` were left out; None when that could change the answer.

    The therapy baseline (pain_not_improving) is the caller's to keep, however old. Each rule reads
    back at most its `lookback`, so every judgement on as_of is the whole diary's. What could differ:
    - a flag's `since`, which re-judges the rule on earlier days: trusted when the day that ended
      its run (since − 1) was judged on dates from `start` on, and when the run did not stop at the
      first record kept (older ones, left out, might have carried it further);
    - missed_checkins, which reads the last check-in: there must be one from `start` on.
    A caller that gets None evaluates the whole diary instead.
    """
    if start > as_of - timedelta(days=LONGEST_LOOKBACK):
        raise ValueError(
            f"A diary cut at {start} cannot be judged on {as_of}: the rules read {LONGEST_LOOKBACK} days back."
        )
    entries, doses = list(entries), list(doses)
    if not any(start <= entry.local_date <= as_of for entry in entries):
        return None
    evaluation = evaluate(entries, facts, as_of, doses)
    first_record = min(
        [entry.local_date for entry in entries if entry.local_date <= as_of]
        + [dose.local_date for dose in doses if dose.local_date <= as_of]
    )
    for flag in evaluation.flags:
        lookback = RULES_BY_CODE[flag.code].lookback
        if flag.since <= first_record or flag.since - timedelta(days=1 + lookback) < start:
            return None
    return evaluation
