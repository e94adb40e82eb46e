"""The flag catalogue of CLINICAL.md: one function per rule, each naming its source."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from diary.trends.records import (
    NOT_ENOUGH_DATA,
    Day,
    Diary,
    DoseEntry,
    Entry,
    Explanation,
    Finding,
    Outcome,
    PatientFacts,
)
from diary.trends.wording import SYMPTOM_WORDS, fmt_date, fmt_dates, fmt_number, fmt_range

CORD_COMPRESSION_SYMPTOMS = frozenset(
    {"limb_weakness", "difficulty_walking", "saddle_numbness", "bladder_control_loss", "bowel_control_loss"}
)
NUMBNESS_SYMPTOMS = frozenset({"limb_numbness_tingling"})
BLOOD_SYMPTOMS = frozenset({"blood_in_stool", "blood_in_urine"})
STRAINING_SYMPTOMS = frozenset({"pain_worse_straining", "band_like_pain"})
WEIGHT_LOSS_SYMPTOMS = frozenset({"unexplained_weight_loss"})
BLADDER_BOWEL_SYMPTOMS = frozenset({"urinary_change", "bowel_change"})
NIGHT_SWEATS_SYMPTOMS = frozenset({"night_sweats"})
SLEEP_SYMPTOMS = frozenset({"difficulty_sleeping"})


def _isodates(days: Iterable[date]) -> list[str]:
    return [day.isoformat() for day in days]


def _ids(entries: Iterable[Entry]) -> list[int]:
    return sorted({entry.id for entry in entries})


def _at_least(value: float | None, threshold: float) -> bool:
    """An answer at or above a threshold; a question not answered is not."""
    return value is not None and value >= threshold


def _symptom_finding(diary: Diary, as_of: date, days: int, symptoms: frozenset[str], min_days: int = 1) -> Outcome:
    """Shared by the rules that fire when a symptom is reported on at least `min_days` of the last `days`.

    A check-in answers the symptom checklist whether or not it ticks anything, so the rule needs
    check-ins on at least `min_days` dates of the window before it can be judged.
    """
    window = diary.window(as_of, days)
    if len(window) < min_days:
        return NOT_ENOUGH_DATA
    hits = [day for day in window if not symptoms.isdisjoint(day.symptoms)]
    if len(hits) < min_days:
        return None

    def explain() -> Explanation:
        reported = sorted({code for day in hits for code in day.symptoms & symptoms})
        words = ", ".join(SYMPTOM_WORDS.get(code, code) for code in reported)
        dates = [day.local_date for day in hits]
        return (
            f"{words[0].upper()}{words[1:]}: reported on {len(dates)} of the last {days} days ({fmt_dates(dates)}).",
            {
                "symptoms": reported,
                "dates": _isodates(dates),
                "days": days,
                "checkin_ids": _ids(e for day in hits for e in day.entries if not symptoms.isdisjoint(e.symptoms)),
            },
        )

    return Finding(explain)


Judge = Callable[[Diary, PatientFacts, date], Outcome]


@dataclass(frozen=True)
class Rule:
    """One flag of the catalogue, in two voices.

    `title` speaks to the patient ("Pain has been waking you at night"); `name` is the rule's human
    name and `clinician_title` what a therapist reads. `score` names the 0–10 answer whose highest
    value in the evidence is the flag's `peak` (an acknowledged flag is raised again when the peak
    rises 2 points, CLINICAL.md 1.1); `symptoms` are the symptom codes the rule reads.
    """

    code: str
    level: str
    title: str
    source: str
    judge: Judge = field(repr=False)
    name: str = ""
    clinician_title: str = ""
    score: str | None = None
    symptoms: frozenset[str] = frozenset()
    # How many days before its as-of date the rule reads (weight_loss: the latest weight of the last 30
    # days against the 180 days before it, 209). Left out: the therapy baseline of pain_not_improving
    # and the last check-in of missed_checkins, which the caller keeps whatever their age.
    lookback: int = 0
    # Rewrites the patient's detail for a clinician, where the numbers read better another way.
    clinician_detail: Callable[[str, dict[str, Any]], str] | None = field(default=None, repr=False)


_CATALOGUE: list[Rule] = []


def rule(
    level: str,
    title: str,
    *,
    source: str,
    name: str,
    clinician_title: str,
    score: str | None = None,
    symptoms: frozenset[str] = frozenset(),
    clinician_detail: Callable[[str, dict[str, Any]], str] | None = None,
    lookback: int,
) -> Callable[[Judge], Judge]:
    """Enter the decorated function in the catalogue as the rule whose code is its name.

    The rule's level, words and source sit on the function that judges it, so a rule is read and
    changed in one place; the catalogue keeps the order of this file (most urgent first).
    """

    def register(judge: Judge) -> Judge:
        _CATALOGUE.append(
            Rule(
                judge.__name__,
                level,
                title,
                source,
                judge,
                name=name,
                clinician_title=clinician_title,
                score=score,
                symptoms=symptoms,
                clinician_detail=clinician_detail,
                lookback=lookback,
            )
        )
        return judge

    return register


@rule(
    "emergency",
    "Weakness, numbness, trouble walking or loss of bladder or bowel control: get help now",
    source="NICE NG234 (metastatic spinal cord compression, cauda equina); the article",
    name="Signs of spinal cord compression",
    clinician_title="Possible spinal cord or cauda equina compression: same-day assessment",
    symptoms=CORD_COMPRESSION_SYMPTOMS,
    lookback=6,
)
def spinal_cord_compression_signs(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Limb weakness, difficulty walking, saddle numbness, or loss of bladder or bowel control in the last 7 days.

    Any one check-in is enough. Needs a check-in in the last 7 days.
    Source: NICE CG75/NG234, metastatic spinal cord compression and cauda equina (contact the acute
    team immediately); the article: loss of bladder control, weakness in the legs.
    """
    return _symptom_finding(diary, as_of, 7, CORD_COMPRESSION_SYMPTOMS)


@rule(
    "urgent",
    "Numbness or tingling in your arms or legs",
    source="The article; NICE NG234 (sensory change); chemotherapy-induced neuropathy and falls",
    name="Limb numbness or tingling",
    clinician_title="Limb numbness or tingling (sensory change; neuropathy and fall risk)",
    symptoms=NUMBNESS_SYMPTOMS,
    lookback=34,
)
def limb_numbness_tingling(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Numbness or tingling in the last 7 days: urgent if new (none in the 28 days before), review if ongoing.

    "The 28 days before those 7" are the dates 7 to 34 days before as_of. With no report there the
    symptom counts as new, whether or not the patient checked in then: a missing history must not
    lower an urgent level.
    Source: the article (numbness or tingling in the arms or legs); NICE NG234 sensory change;
    chemotherapy-induced peripheral neuropathy and its fall risk.
    """
    recent = _symptom_finding(diary, as_of, 7, NUMBNESS_SYMPTOMS)
    if not isinstance(recent, Finding):
        return recent
    earlier = [
        day.local_date
        for day in diary.window(as_of - timedelta(days=7), 28)
        if "limb_numbness_tingling" in day.symptoms
    ]

    def explain() -> Explanation:
        detail, evidence = recent.explain()
        evidence["earlier_dates"] = _isodates(earlier)
        if earlier:
            return (
                f"{detail} Also reported on {len(earlier)} days in the 4 weeks before ({fmt_dates(earlier)}).",
                evidence,
            )
        return f"{detail} Not reported in the 4 weeks before.", evidence

    return Finding(explain, "review" if earlier else "urgent")


@rule(
    "urgent",
    "You reported blood in your stool or urine",
    source="The article (blood in the stool or urine)",
    name="Blood in stool or urine",
    clinician_title="Blood in stool or urine reported",
    symptoms=BLOOD_SYMPTOMS,
    lookback=13,
)
def blood_in_stool_or_urine(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Blood in stool or urine reported in the last 14 days.

    Source: the article (blood in the stool or urine).
    """
    return _symptom_finding(diary, as_of, 14, BLOOD_SYMPTOMS)


@rule(
    "urgent",
    "Pain has been waking you at night",
    source="The article (pain at night); NICE NG234 (night pain that prevents sleep)",
    name="Night pain",
    clinician_title="Night pain on 3 or more of the last 14 nights",
    score="pain",
    lookback=13,
)
def night_pain(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """On at least 3 distinct nights in the last 14 days, woken by pain or a night check-in with pain ≥ 4.

    A night is a local date: a woke_from_pain answer belongs to the date of the check-in that gives
    it, and a night check-in (00:00–05:59) to its own date, so both on one date are one night.
    Needs at least 3 dates that say something about the night (a woke_from_pain answer, yes or no,
    or a night check-in with a pain score): with fewer, 3 nights could not be seen.
    Source: the article (pain at night); NICE NG234 (night pain preventing sleep: within 24 hours).
    """
    window = diary.window(as_of, 14)
    if sum(1 for day in window if day.woke_from_pain is not None or day.night_pain is not None) < 3:
        return NOT_ENOUGH_DATA
    nights = [day for day in window if day.woke_from_pain or _at_least(day.night_pain, 4)]
    if len(nights) < 3:
        return None

    def explain() -> Explanation:
        woke = [e for day in nights for e in day.entries if e.woke_from_pain]
        painful = [e for day in nights for e in day.scored if e.part_of_day == "night" and _at_least(e.pain, 4)]
        woke_dates = sorted({e.local_date for e in woke})
        painful_dates = sorted({e.local_date for e in painful})
        parts = []
        if woke_dates:
            parts.append(f"woken by pain on {len(woke_dates)}")
        if painful_dates:
            parts.append(
                f"pain {fmt_range([e.pain or 0 for e in painful])}/10 at a night check-in on {len(painful_dates)}"
            )
        dates = [day.local_date for day in nights]
        return (
            f"Pain at night on {len(dates)} of the last 14 nights ({fmt_dates(dates)}): {', '.join(parts)}.",
            {
                "nights": _isodates(dates),
                "woke_from_pain_dates": _isodates(woke_dates),
                "night_pain_dates": _isodates(painful_dates),
                "checkin_ids": _ids(woke + painful),
            },
        )

    return Finding(explain)


@rule(
    "urgent",
    "Pain worse when you cough, sneeze or strain, or a band of pain",
    source="NICE NG234 (pain worse on straining, band-like pain)",
    name="Pain worse on straining",
    clinician_title="Pain worse on straining, or band-like pain",
    symptoms=STRAINING_SYMPTOMS,
    lookback=13,
)
def pain_worse_straining(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Pain worse on coughing, sneezing or straining, or band-like pain, in the last 14 days.

    Source: NICE NG234, metastatic spinal cord compression (contact within 24 hours).
    """
    return _symptom_finding(diary, as_of, 14, STRAINING_SYMPTOMS)


NOON = time(12, 0)
THREE_PM = time(15, 0)


@rule(
    "review",
    "Pain is worst when you wake and eases through the day",
    source="The article (pain on waking that improves during the day)",
    name="Morning pain that eases",
    clinician_title="Pain worst on waking, easing by 2 or more points through the day",
    score="pain",
    lookback=13,
)
def morning_pain_eases(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Pain on waking that eases through the day.

    In the last 14 days at least 4 days have a pain score before noon and another from 15:00 on; on
    at least 4 of those days, and at least 60% of them, the day's first pain minus its last is ≥ 2.
    First and last are the earliest and latest check-ins of the local date with a pain score (a
    02:00 night check-in is the first). Fewer than 4 days with both: not enough data.
    Source: the article (pain mainly on waking, gradually improving during the day).
    """
    both = [
        day
        for day in diary.window(as_of, 14)
        if day.scored and day.scored[0].local_time < NOON and day.scored[-1].local_time >= THREE_PM
    ]
    if len(both) < 4:
        return NOT_ENOUGH_DATA
    easing = [day for day in both if (day.scored[0].pain or 0) - (day.scored[-1].pain or 0) >= 2]
    # At least 60%, compared in whole numbers as the other shares and means are.
    if len(easing) < 4 or 5 * len(easing) < 3 * len(both):
        return None

    def explain() -> Explanation:
        firsts = [day.scored[0].pain or 0 for day in easing]
        lasts = [day.scored[-1].pain or 0 for day in easing]
        dates = [day.local_date for day in easing]
        return (
            f"Pain {fmt_range(firsts)}/10 first thing and {fmt_range(lasts)}/10 by the end of the day, "
            f"on {len(easing)} of the {len(both)} days with both in the last 14 days ({fmt_dates(dates)}).",
            {
                "days_with_both": len(both),
                "days_easing": len(easing),
                "dates": _isodates(dates),
                "first_pain": firsts,
                "last_pain": lasts,
                "checkin_ids": _ids(e for day in easing for e in (day.scored[0], day.scored[-1])),
            },
        )

    return Finding(explain)


@rule(
    "review",
    "Moving does not change your pain",
    source="The article (pain not associated with movement)",
    name="Pain unrelated to movement",
    clinician_title="Non-mechanical pain: movement makes no difference",
    score="pain",
    lookback=13,
)
def pain_unrelated_to_movement(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """At least 5 check-ins in the last 14 days with pain ≥ 3 and a movement answer, ≥ 70% of them "no change".

    Fewer than 5 such check-ins: not enough data.
    Source: the article (pain not associated with movement, not worse with movement).
    """
    answered = [
        e
        for day in diary.window(as_of, 14)
        for e in day.scored
        if e.movement_effect is not None and _at_least(e.pain, 3)
    ]
    if len(answered) < 5:
        return NOT_ENOUGH_DATA
    unchanged = [e for e in answered if e.movement_effect == "no_change"]
    # At least 70%, compared in whole numbers.
    if 10 * len(unchanged) < 7 * len(answered):
        return None

    def explain() -> Explanation:
        share = round(100 * len(unchanged) / len(answered))
        return (
            f"Moving made no difference to pain of 3/10 or more in {len(unchanged)} of {len(answered)} "
            f"check-ins ({share}%) in the last 14 days.",
            {"answered": len(answered), "no_change": len(unchanged), "percent": share, "checkin_ids": _ids(unchanged)},
        )

    return Finding(explain)


class DailyMaxima(NamedTuple):
    """The highest pain of each date with a pain score in a window: "mean daily maximum pain"."""

    days: list[Day]
    total: int  # the sum of the daily maxima
    n_days: int

    @property
    def mean(self) -> float:
        return self.total / self.n_days

    def describe(self) -> dict[str, Any]:
        return {"dates": _isodates(day.local_date for day in self.days), "mean_daily_max": round(self.mean, 2)}

    def tops(self) -> list[Entry]:
        return [day.top for day in self.days if day.top is not None]


def _daily_maxima(days: Iterable[Day]) -> DailyMaxima | None:
    """The window's daily maxima, or None when fewer than 3 of its dates have a pain score."""
    scored = [day for day in days if day.pain_max is not None]
    if len(scored) < 3:
        return None
    return DailyMaxima(scored, sum(day.pain_max or 0 for day in scored), len(scored))


@rule(
    "review",
    "Pain has not eased since therapy began",
    source="The article (pain that does not resolve with physical therapy); Farrar 2001 (30% change)",
    name="Pain not improving with therapy",
    clinician_title="No 30% reduction in daily maximum pain since therapy began",
    score="pain",
    lookback=6,
)
def pain_not_improving(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Pain not at least 30% lower after 4 weeks or more of therapy.

    Therapy began at least 28 days before as_of. Baseline: mean daily maximum pain of the 7 days
    before therapy began, or of the first 7 days of therapy (the start date and the 6 after it) if
    fewer than 3 of those days have a score. Fires when the baseline is ≥ 3 and the last 7 days'
    mean daily maximum is not at least 30% below it (exactly 30% below is an improvement); each
    window needs pain scores on at least 3 days, else not enough data.
    Source: the article (pain that does not resolve after physical therapy); Farrar 2001 (30% is
    a clinically important change).
    """
    started = facts.therapy_started_on
    if started is None or (as_of - started).days < 28:
        return NOT_ENOUGH_DATA
    baseline = _daily_maxima(diary.window(started - timedelta(days=1), 7))
    baseline_label = "the week before therapy began"
    if baseline is None:
        baseline = _daily_maxima(diary.window(started + timedelta(days=6), 7))
        baseline_label = "the first week of therapy"
    recent = _daily_maxima(diary.window(as_of, 7))
    if baseline is None or recent is None:
        return NOT_ENOUGH_DATA
    # Means compared cross-multiplied in whole numbers, so that the thresholds are exact: in floating
    # point 4.2 (21/5) is not ≤ 0.7 × 6, and pain exactly 30% lower would count as not improving.
    if baseline.total < 3 * baseline.n_days:  # a baseline mean below 3
        return None
    if 10 * recent.total * baseline.n_days <= 7 * baseline.total * recent.n_days:  # at least 30% lower
        return None

    def explain() -> Explanation:
        change = round(100 * (recent.mean - baseline.mean) / baseline.mean)
        change_words = f"{-change}% lower" if change < 0 else ("no lower" if change == 0 else f"{change}% higher")
        return (
            f"Highest daily pain averaged {fmt_number(recent.mean)}/10 in the last 7 days against "
            f"{fmt_number(baseline.mean)}/10 in {baseline_label} ({change_words}; 30% lower would be an improvement), "
            f"{(as_of - started).days} days after therapy began on {fmt_date(started)}.",
            {
                "therapy_started_on": started.isoformat(),
                "baseline_window": baseline_label,
                "baseline": baseline.describe(),
                "recent": recent.describe(),
                "percent_change": change,
                "checkin_ids": _ids(baseline.tops() + recent.tops()),
            },
        )

    return Finding(explain)


@rule(
    "review",
    "Your pain has been getting worse",
    source="Farrar 2001 (2-point change); ESAS deterioration thresholds",
    name="Worsening pain",
    clinician_title="Daily maximum pain up 2 or more points (last 7 days against the 14 before)",
    score="pain",
    lookback=20,
)
def worsening_pain(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Mean daily maximum pain of the last 7 days at least 2 points above that of the 14 days before them.

    "The 14 days before them" are the dates 7 to 20 days before as_of. "Each window with check-ins on
    at least 3 days" is read with the definition of pain of a day (only check-ins with a pain score
    count): each window needs pain scores on at least 3 dates, else not enough data.
    Source: Farrar 2001 (a 2-point change is clinically important); ESAS deterioration thresholds.
    """
    recent = _daily_maxima(diary.window(as_of, 7))
    earlier = _daily_maxima(diary.window(as_of - timedelta(days=7), 14))
    if recent is None or earlier is None:
        return NOT_ENOUGH_DATA
    # recent mean − earlier mean ≥ 2, cross-multiplied in whole numbers: in floating point 11/3 − 5/3 < 2.
    if recent.total * earlier.n_days - earlier.total * recent.n_days < 2 * recent.n_days * earlier.n_days:
        return None

    def explain() -> Explanation:
        return (
            f"Highest daily pain averaged {fmt_number(recent.mean)}/10 in the last 7 days, "
            f"up from {fmt_number(earlier.mean)}/10 in the 2 weeks before.",
            {
                "recent": recent.describe(),
                "earlier": earlier.describe(),
                "increase": round(recent.mean - earlier.mean, 2),
                "checkin_ids": _ids(earlier.tops() + recent.tops()),
            },
        )

    return Finding(explain)


def _rest_did_not_help(day: Day) -> bool:
    """The patient said rest did not help, or slept 7 hours or more and did not say rest helped.

    An explicit "yes, rest helped" is tiredness that rest relieves, which CLINICAL.md says must not
    raise a flag, however long the night's sleep.
    """
    return "no" in day.rest_helped or ("yes" not in day.rest_helped and _at_least(day.sleep_hours, 7))


@rule(
    "review",
    "Tiredness that rest does not relieve",
    source="The article (fatigue not improved by rest); NCCN fatigue screening (4 or more)",
    name="Fatigue not relieved by rest",
    clinician_title="Fatigue 4 or more on 5 of the last 7 days, not relieved by rest",
    score="fatigue",
    lookback=6,
)
def persistent_fatigue(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Tiredness ≥ 4 on at least 5 of the last 7 days, and on those days rest did not help or sleep was ≥ 7 hours.

    A day counts when its highest tiredness is ≥ 4 and a check-in of that date says rest did not help
    (rest_helped = no), or says they slept 7 hours or more while none that day says rest helped.
    Needs at least 5 days with both a tiredness score and an answer about rest or sleep.
    Source: the article (fatigue not improved by rest or sleep); NCCN (fatigue ≥ 4 warrants evaluation;
    cancer fatigue is not proportional to activity).
    """
    answered = [
        day
        for day in diary.window(as_of, 7)
        if day.fatigue_max is not None and (day.rest_helped or day.sleep_hours is not None)
    ]
    if len(answered) < 5:
        return NOT_ENOUGH_DATA
    unrelieved = [day for day in answered if _at_least(day.fatigue_max, 4) and _rest_did_not_help(day)]
    if len(unrelieved) < 5:
        return None

    def explain() -> Explanation:
        dates = [day.local_date for day in unrelieved]
        behind = [
            e
            for day in unrelieved
            for e in day.entries
            if _at_least(e.fatigue, 4) or e.rest_helped == "no" or _at_least(e.sleep_hours, 7)
        ]
        return (
            f"Tiredness {fmt_range([day.fatigue_max or 0 for day in unrelieved])}/10 on {len(unrelieved)} of the "
            f"last 7 days although rest did not help or sleep was 7 hours or more ({fmt_dates(dates)}).",
            {"dates": _isodates(dates), "checkin_ids": _ids(behind)},
        )

    return Finding(explain)


@rule(
    "review",
    "Severe tiredness on several days",
    source="The article (extreme fatigue); ESAS-r severe band (7–10)",
    name="Severe fatigue",
    clinician_title="Severe fatigue (7 or more) on 3 or more of the last 7 days",
    score="fatigue",
    lookback=6,
)
def severe_fatigue(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Tiredness ≥ 7 on at least 3 of the last 7 days.

    Needs tiredness scores on at least 3 of the last 7 days.
    Source: the article (extreme fatigue of unknown origin); ESAS-r severe band 7–10.
    """
    scored = [day for day in diary.window(as_of, 7) if day.fatigue_max is not None]
    if len(scored) < 3:
        return NOT_ENOUGH_DATA
    severe = [day for day in scored if _at_least(day.fatigue_max, 7)]
    if len(severe) < 3:
        return None

    def explain() -> Explanation:
        dates = [day.local_date for day in severe]
        return (
            f"Tiredness {fmt_range([day.fatigue_max or 0 for day in severe])}/10 on {len(severe)} of the last 7 "
            f"days ({fmt_dates(dates)}).",
            {
                "dates": _isodates(dates),
                "checkin_ids": _ids(e for day in severe for e in day.entries if _at_least(e.fatigue, 7)),
            },
        )

    return Finding(explain)


def _kg(weight: float | None) -> Decimal:
    # A weight arrives as the decimal the patient typed: compare that decimal, not its binary
    # approximation, so that 80 → 76 kg is exactly 5%.
    return Decimal(repr(weight or 0))


def _weight_drop(diary: Diary, as_of: date) -> Outcome:
    """The weighed half of weight_loss: the latest weight at least 5% below the reference high."""
    recent = diary.weights_between(as_of - timedelta(days=29), as_of)
    if not recent:
        return NOT_ENOUGH_DATA
    latest = recent[-1]
    reference = diary.weights_between(latest.local_date - timedelta(days=180), latest.local_date - timedelta(days=14))
    if not reference:
        return NOT_ENOUGH_DATA
    highest = max(reference, key=attrgetter("weight_kg"))  # floats order as the decimals they came from
    high, now = _kg(highest.weight_kg), _kg(latest.weight_kg)
    if 100 * now > 95 * high:
        return None

    def explain() -> Explanation:
        loss = float(100 * (high - now) / high)
        return (
            f"Weight {fmt_number(float(now))} kg on {fmt_date(latest.local_date)}, down {fmt_number(loss)}% "
            f"from {fmt_number(float(high))} kg on {fmt_date(highest.local_date)}.",
            {
                "latest_kg": float(now),
                "latest_date": latest.local_date.isoformat(),
                "highest_kg": float(high),
                "highest_date": highest.local_date.isoformat(),
                "percent_lost": round(loss, 1),
                "checkin_ids": _ids([highest, latest]),
            },
        )

    return Finding(explain)


def _weight_for_clinician(detail: str, evidence: dict[str, Any]) -> str:
    """ "Weight down 6.1% in 21 days (68.0 → 63.9 kg)", then whether the patient said so too."""
    if "latest_kg" not in evidence:
        return detail
    days = (date.fromisoformat(evidence["latest_date"]) - date.fromisoformat(evidence["highest_date"])).days
    weighed = (
        f"Weight down {evidence['percent_lost']:.1f}% in {days} days "
        f"({evidence['highest_kg']:.1f} → {evidence['latest_kg']:.1f} kg)."
    )
    reported = evidence.get("reported_dates") or []
    if reported:
        return f"{weighed} Unintended weight loss also reported on {len(reported)} days."
    return weighed


@rule(
    "review",
    "You have been losing weight",
    source="The article (rapid, unexplained weight loss); 5% clinical threshold",
    name="Weight loss",
    clinician_title="Weight loss of 5% or more, or unintended weight loss reported",
    symptoms=WEIGHT_LOSS_SYMPTOMS,
    clinician_detail=_weight_for_clinician,
    lookback=209,
)
def weight_loss(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Weight down 5% or more, or losing weight without trying reported in the last 14 days.

    The latest weight, if recorded in the last 30 days, is compared with the highest weight recorded
    in the 180 days before its date and at least 14 days before it (dates 14 to 180 days earlier).
    The symptom alone is enough to fire; without it, the rule needs a recent weight and an older one
    to compare it with, else not enough data.
    Source: the article (rapid, unexplained weight loss); 5% is the usual clinical threshold.
    """
    measured = _weight_drop(diary, as_of)
    reported = _symptom_finding(diary, as_of, 14, WEIGHT_LOSS_SYMPTOMS)
    if not isinstance(measured, Finding) or not isinstance(reported, Finding):
        return reported if isinstance(reported, Finding) else measured

    def explain() -> Explanation:
        (weighed, by_scale), (said, by_patient) = measured.explain(), reported.explain()
        ids = sorted({*by_scale["checkin_ids"], *by_patient["checkin_ids"]})
        return f"{weighed} {said}", {**by_scale, "reported_dates": by_patient["dates"], "checkin_ids": ids}

    return Finding(explain)


@rule(
    "review",
    "Changes in passing urine or in bowel habits",
    source="The article (changes in urinary or bowel function)",
    name="Bladder or bowel change",
    clinician_title="Change in bladder or bowel function",
    symptoms=BLADDER_BOWEL_SYMPTOMS,
    lookback=6,
)
def bladder_bowel_change(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """A change in passing urine or in bowel habits reported in the last 7 days.

    Source: the article (dramatic changes in urinary or bowel function).
    """
    return _symptom_finding(diary, as_of, 7, BLADDER_BOWEL_SYMPTOMS)


@rule(
    "review",
    "Heavy night sweats",
    source="The article (excessive night sweats)",
    name="Night sweats",
    clinician_title="Night sweats on 2 or more of the last 14 days",
    symptoms=NIGHT_SWEATS_SYMPTOMS,
    lookback=13,
)
def night_sweats(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Night sweats reported on at least 2 days in the last 14.

    Needs check-ins on at least 2 of those days.
    Source: the article (excessive night sweats).
    """
    return _symptom_finding(diary, as_of, 14, NIGHT_SWEATS_SYMPTOMS, min_days=2)


@rule(
    "review",
    "Trouble sleeping on several nights",
    source="The article (difficulty sleeping)",
    name="Sleep disturbance",
    clinician_title="Difficulty sleeping on 3 or more of the last 7 days",
    symptoms=SLEEP_SYMPTOMS,
    lookback=6,
)
def sleep_disturbance(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Difficulty sleeping reported on at least 3 of the last 7 days.

    Needs check-ins on at least 3 of those days.
    Source: the article (difficulty sleeping).
    """
    return _symptom_finding(diary, as_of, 7, SLEEP_SYMPTOMS, min_days=3)


# --- medicines and breakthrough pain (CLINICAL.md 1.1) ------------------------------------------
# "As-needed dose": a dose of a medicine of kind as_needed. "A day with a record": a local date with
# a check-in or a dose; on it the number of as-needed doses is known (0 if none), on any other date
# it is unknown and the date does not count (Diary.record_days).

TELL_THE_PRESCRIBER = "Tell the doctor or nurse who prescribes your pain medicine"
RESCUE_DOSES_HIGH = 4


def _medicines(doses: Iterable[DoseEntry]) -> str:
    """The medicines behind the doses, as a clinician reads them: "oxycodone 5 mg, morphine 10 mg"."""
    return ", ".join(dict.fromkeys(dose.medicine for dose in doses if dose.medicine))


def _dose_ids(doses: Iterable[DoseEntry]) -> list[int]:
    return sorted({dose.id for dose in doses})


def _with_medicines(text: str, evidence: dict[str, Any]) -> str:
    medicines = evidence.get("medicines") or ""
    return f"{text} ({medicines})" if medicines else text


def _rescue_high_for_clinician(detail: str, evidence: dict[str, Any]) -> str:
    """ "4–6 as-needed doses on 2 of the last 3 days (oxycodone 5 mg)"."""
    counts = list(evidence["doses_per_day"].values())
    return _with_medicines(f"{fmt_range(counts)} as-needed doses on {len(counts)} of the last 3 days", evidence)


@rule(
    "review",
    f"{TELL_THE_PRESCRIBER}: you needed many extra doses",
    source="ESMO cancer pain guideline (Fallon et al., Ann Oncol 2018); NCCN Adult Cancer Pain",
    name="Many breakthrough doses",
    clinician_title="4 or more as-needed doses a day on 2 of the last 3 days: reassess background analgesia",
    clinician_detail=_rescue_high_for_clinician,
    lookback=2,
)
def rescue_doses_high(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """On at least 2 of the last 3 days, 4 or more as-needed doses were taken.

    Needs at least 2 days with a record (a check-in or a dose) among the last 3: on a date without
    one the number of doses is unknown, and 2 high days could not be seen.
    Source: ESMO clinical practice guideline (Fallon et al., Ann Oncol 2018): more than about four
    breakthrough doses a day → reassess background analgesia; NCCN Adult Cancer Pain.
    """
    window = diary.record_days(as_of, 3)
    if len(window) < 2:
        return NOT_ENOUGH_DATA
    high = [(day, doses) for day, doses in window if len(doses) >= RESCUE_DOSES_HIGH]
    if len(high) < 2:
        return None

    def explain() -> Explanation:
        counts = [len(doses) for _, doses in high]
        dates = [day for day, _ in high]
        taken = [dose for _, doses in high for dose in doses]
        return (
            f"You took {fmt_range(counts)} doses of your as-needed pain medicine a day on {len(high)} of the "
            f"last 3 days ({fmt_dates(dates)}). {TELL_THE_PRESCRIBER}: your regular pain medicine may need "
            "to change.",
            {
                "dates": _isodates(dates),
                "doses_per_day": {day.isoformat(): len(doses) for day, doses in high},
                "medicines": _medicines(taken),
                "dose_ids": _dose_ids(taken),
                "checkin_ids": [],
            },
        )

    return Finding(explain)


def _rescue_rising_for_clinician(detail: str, evidence: dict[str, Any]) -> str:
    """ "As-needed doses 1.4 → 3.1 a day (last 7 days against the 14 before; oxycodone 5 mg)"."""
    recent, earlier = evidence["recent"], evidence["earlier"]
    medicines = f"; {evidence['medicines']}" if evidence.get("medicines") else ""
    return (
        f"As-needed doses {fmt_number(earlier['mean_per_day'])} → {fmt_number(recent['mean_per_day'])} a day "
        f"(last 7 days against the 14 before{medicines})"
    )


def _per_day(window: list[tuple[date, list[DoseEntry]]]) -> dict[str, Any]:
    total = sum(len(doses) for _, doses in window)
    return {
        "days_with_a_record": len(window),
        "doses": total,
        "mean_per_day": round(total / len(window), 2),
    }


@rule(
    "review",
    f"{TELL_THE_PRESCRIBER}: you have needed more extra doses lately",
    source="ESMO 2018 / NCCN (rising analgesic need); Farrar 2001 (worsening, a sign to reassess)",
    name="Rising breakthrough doses",
    clinician_title="As-needed doses per day up by 1 or more, and by half, against the 2 weeks before",
    clinician_detail=_rescue_rising_for_clinician,
    lookback=20,
)
def rescue_doses_rising(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """Mean as-needed doses per day with a record over the last 7 days at least 1.0 higher than, and at
    least 1.5 times, the mean over the 14 days before them.

    "The 14 days before them" are the dates 7 to 20 days before as_of. Each window needs at least 4
    days with a record (a check-in or a dose), else not enough data. With no doses at all before, any
    mean of 1.0 or more is a rise.
    Source: ESMO 2018 and NCCN Adult Cancer Pain (rising analgesic need calls for reassessment), read
    like worsening pain (Farrar 2001).
    """
    recent = diary.record_days(as_of, 7)
    earlier = diary.record_days(as_of - timedelta(days=7), 14)
    if len(recent) < 4 or len(earlier) < 4:
        return NOT_ENOUGH_DATA
    r_total, r_days = sum(len(doses) for _, doses in recent), len(recent)
    e_total, e_days = sum(len(doses) for _, doses in earlier), len(earlier)
    # Means compared cross-multiplied in whole numbers: recent − earlier ≥ 1 and recent ≥ 1.5 × earlier.
    if r_total * e_days - e_total * r_days < r_days * e_days:
        return None
    if 2 * r_total * e_days < 3 * e_total * r_days:
        return None

    def explain() -> Explanation:
        taken = [dose for _, doses in recent + earlier for dose in doses]
        now, before = _per_day(recent), _per_day(earlier)
        return (
            f"You took {fmt_number(now['mean_per_day'])} doses a day of your as-needed pain medicine in the "
            f"last 7 days, up from {fmt_number(before['mean_per_day'])} a day in the 2 weeks before. "
            f"{TELL_THE_PRESCRIBER}.",
            {
                "recent": now,
                "earlier": before,
                "medicines": _medicines(taken),
                "dose_ids": _dose_ids(taken),
                "checkin_ids": [],
            },
        )

    return Finding(explain)


def _not_helping_for_clinician(detail: str, evidence: dict[str, Any]) -> str:
    """ "Relief 'none' after 3 of 4 as-needed doses rated in the last 7 days (oxycodone 5 mg)"."""
    return _with_medicines(
        f'Relief "none" after {evidence["no_relief"]} of {evidence["rated"]} as-needed doses rated in the last 7 days',
        evidence,
    )


@rule(
    "review",
    f"{TELL_THE_PRESCRIBER}: your extra doses are not helping",
    source="ESMO 2018; NCCN Adult Cancer Pain (breakthrough medicine that does not relieve needs review)",
    name="Breakthrough doses not helping",
    clinician_title="As-needed doses giving no relief (2 in 3 or more of those rated in the last 7 days)",
    clinician_detail=_not_helping_for_clinician,
    lookback=6,
)
def rescue_doses_not_helping(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """In the last 7 days at least 3 as-needed doses have a relief answer, and at least two thirds of
    those say "none".

    Fewer than 3 rated as-needed doses in the last 7 days: not enough data.
    Source: ESMO clinical practice guideline (Fallon et al., Ann Oncol 2018) and NCCN Adult Cancer
    Pain: breakthrough medicine that does not relieve needs review.
    """
    rated = [dose for _, doses in diary.record_days(as_of, 7) for dose in doses if dose.relief is not None]
    if len(rated) < 3:
        return NOT_ENOUGH_DATA
    no_relief = [dose for dose in rated if dose.relief == "none"]
    # At least two thirds, compared in whole numbers.
    if 3 * len(no_relief) < 2 * len(rated):
        return None

    def explain() -> Explanation:
        dates = sorted({dose.local_date for dose in no_relief})
        return (
            f"{len(no_relief)} of the {len(rated)} doses of your as-needed pain medicine you rated in the last "
            f"7 days did not help at all ({fmt_dates(dates)}). {TELL_THE_PRESCRIBER}.",
            {
                "rated": len(rated),
                "no_relief": len(no_relief),
                "dates": _isodates(dates),
                "medicines": _medicines(rated),
                "dose_ids": _dose_ids(rated),
                "checkin_ids": [],
            },
        )

    return Finding(explain)


# "Missed" has one definition everywhere (CLINICAL.md 1.1): the triage list and reminders use this too.
MISSED_AFTER_DAYS = 3


def has_missed(last_checkin_on: date | None, as_of: date) -> bool:
    """The patient has check-ins, and none on the last MISSED_AFTER_DAYS local dates (as_of and the 2 before)."""
    return last_checkin_on is not None and (as_of - last_checkin_on).days >= MISSED_AFTER_DAYS


@rule(
    "info",
    "No check-ins for a few days",
    source="Adherence context for the therapist",
    name="Missed check-ins",
    clinician_title=f"No check-ins on the last {MISSED_AFTER_DAYS} days",
    lookback=0,
)
def missed_checkins(diary: Diary, facts: PatientFacts, as_of: date) -> Outcome:
    """The patient has check-ins, but none in the last 3 days (as_of and the 2 dates before it).

    No check-ins at all: not enough data.
    Source: adherence context for the therapist (CLINICAL.md).
    """
    last = diary.latest_on_or_before(as_of)
    if last is None:
        return NOT_ENOUGH_DATA
    gap = (as_of - last.local_date).days
    if not has_missed(last.local_date, as_of):
        return None

    def explain() -> Explanation:
        return (
            f"No check-ins for {gap} days; the last was on {fmt_date(last.local_date)}.",
            {"last_checkin_date": last.local_date.isoformat(), "days_since": gap, "checkin_ids": _ids(last.entries)},
        )

    return Finding(explain)


RULES: tuple[Rule, ...] = tuple(_CATALOGUE)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
