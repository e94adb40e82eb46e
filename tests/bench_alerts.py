"""Alert load (issue 10, item 7; CLINICAL.md 1.1 "Alerts that stay meaningful"), before and after the policy.

Not collected by pytest (the name starts with bench_; tests/test_bench_alerts.py runs it on a tiny
cohort). Run from the project root:

    .venv/bin/python tests/bench_alerts.py

Two populations: the demo clinic (the diaries `manage.py seed_demo` writes, made by its own
generators, as if it ran at the end of DEMO_TODAY in each patient's zone) and a generated cohort of
200 patients × 90 days (mostly mechanical back pain, some ordinary noise, a few true warning
patterns; a fixed seed). Each diary is replayed check-in by check-in, in plain Python with no
database, the way services.checkin_create judges it: the flags before a check-in (re-judged as of
its date when the day turned), the flags after it, each shown with "acknowledged" as
shown_flags gives it (diary/flag_policy.py). Two worlds share the judgements:

- BEFORE, the app as it was: the full-screen page after every check-in whose answer had any
  active emergency or urgent flag; an acknowledgement covers exactly the check-ins it saw, so a
  flag is raised again for the therapist as soon as its evidence gains a check-in.
- AFTER, this policy: the full-screen page only when flag_policy.news() is not empty; an
  acknowledgement covers the flag until it is worse or different or the follow-up date passes.

A simulated therapist works at noon in the patient's zone and acknowledges, the next local day,
every emergency or urgent flag that was open and unacknowledged at the end of the day before, with
the default follow-up date (flag_policy.default_follow_up) and what the flag shows then.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from diary import flag_policy, trends  # noqa: E402
from diary.flags import flag_data  # noqa: E402
from diary.management.commands import seed_demo  # noqa: E402
from diary.services import local_moment, part_of_day_at  # noqa: E402
from diary.trends import Entry, PatientFacts  # noqa: E402

ALERT_LEVELS = flag_policy.ALERT_LEVELS
THERAPIST_AT = clock(12, 0)  # the simulated therapist's daily round, in the patient's local time
DEMO_TODAY = date(2026, 3, 20)  # the day seed_demo "ran" (its random draws depend on the dates)
COHORT_SEED = 20260320
COHORT_START = date(2026, 1, 5)
COHORT_PATIENTS = 200
COHORT_DAYS = 90
WARNING_SHARE = 0.08  # 16 of 200 patients develop a true warning pattern
NOISY_SHARE = 0.45  # of the others, this share has ordinary noise in their diary
WARNINGS = ("night_pain", "blood_in_urine", "new_numbness", "cord_compression", "weight_loss")


# --- the diaries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """A diary to replay: its check-ins in time order, over the local dates first_day..last_day."""

    name: str
    group: str  # "mechanical", "noisy", "warning: <pattern>", or the demo's pattern
    entries: tuple[Entry, ...]
    first_day: date
    last_day: date
    therapy_started_on: date | None = None


def entry(id_: int, day: date, at: clock, fields: Mapping[str, Any]) -> Entry:
    """A check-in as trend_entries reads it back: the answers the rules use, and its local moment."""
    return Entry(
        id=id_,
        local_date=day,
        local_time=at,
        part_of_day=part_of_day_at(datetime.combine(day, at)),
        pain=fields.get("pain"),
        movement_effect=fields.get("movement_effect"),
        fatigue=fields.get("fatigue"),
        rest_helped=fields.get("rest_helped"),
        sleep_hours=fields.get("sleep_hours"),
        woke_from_pain=fields.get("woke_from_pain"),
        weight_kg=fields.get("weight_kg"),
        # services.checkin_create keeps each code once, in the order given.
        symptoms=frozenset(fields.get("symptoms") or ()),
    )


def demo_clinic(today: date = DEMO_TODAY) -> list[Patient]:
    """The six diaries seed_demo writes, from its own generators, as if it ran at 23:59 on `today` in each zone.

    This mirrors seed_demo.Command._diary: one generator per patient and day, the slot's answers
    drawn before its clock jitter, and the check-in dated in the patient's zone.
    """
    patients = []
    for demo in seed_demo.PATIENTS:
        zone = ZoneInfo(demo.zone)
        now = datetime.combine(today, clock(23, 59), tzinfo=zone)
        made: list[tuple[datetime, Entry]] = []
        for day in range(seed_demo.DAYS):
            local_date = today - timedelta(days=seed_demo.DAYS - 1 - day)
            rng = random.Random(f"{demo.email}:{local_date.isoformat()}")
            for slot, at in (seed_demo.NIGHT, seed_demo.MORNING, seed_demo.EVENING):
                fields = demo.diary(day, slot, rng)
                recorded_at = seed_demo.Command._moment(local_date, at, zone, rng)
                if fields is None or recorded_at > now:
                    continue
                stored_date, part = local_moment(recorded_at, demo.zone)
                # trend_entries: the local clock time, its fold kept for the hour that comes twice.
                checkin = entry(len(made) + 1, stored_date, recorded_at.astimezone(zone).time(), fields)
                assert checkin.part_of_day == part
                made.append((recorded_at, checkin))
        started = today - timedelta(weeks=demo.therapy_weeks_ago) if demo.therapy_weeks_ago is not None else None
        patients.append(
            Patient(
                name=demo.name,
                group=demo.pattern,
                entries=tuple(checkin for _, checkin in sorted(made, key=lambda pair: pair[0])),
                first_day=today - timedelta(days=seed_demo.DAYS - 1),
                last_day=today,
                therapy_started_on=started,
            )
        )
    return patients


@dataclass(frozen=True)
class Plan:
    """One generated patient: mechanical back pain, with or without noise, and perhaps a warning pattern.

    `onset` is the day index (0 = the first day) a warning pattern starts; `event` the day of a
    one-off report (cord-compression symptoms, the second blood in urine), if the pattern has one.
    """

    index: int
    noisy: bool
    warning: str | None = None
    onset: int | None = None
    event: int | None = None

    @property
    def group(self) -> str:
        if self.warning:
            return f"warning: {self.warning}"
        return "noisy" if self.noisy else "mechanical"


def cohort_plans(patients: int = COHORT_PATIENTS, days: int = COHORT_DAYS, seed: int = COHORT_SEED) -> list[Plan]:
    rng = random.Random(f"plans:{seed}")
    order = list(range(patients))
    rng.shuffle(order)
    warned = order[: round(WARNING_SHARE * patients)]
    noisy = set(order[len(warned) : len(warned) + round(NOISY_SHARE * (patients - len(warned)))])
    plans = {index: Plan(index, noisy=index in noisy) for index in range(patients)}
    for n, index in enumerate(warned):
        warning = WARNINGS[n % len(WARNINGS)]
        onset = rng.randint(days // 4, days - 20)
        event = None
        if warning == "cord_compression":
            event = onset + rng.randint(5, 14)  # weeks of numb feet, then weak legs on a day
        elif warning == "blood_in_urine" and rng.random() < 0.5:
            event = onset + rng.randint(3, 16)  # a second time
        plans[index] = Plan(index, noisy=rng.random() < 0.5, warning=warning, onset=onset, event=event)
    return [plans[index] for index in range(patients)]


def clamp(value: float, low: int = 0, high: int = 10) -> int:
    return max(low, min(high, round(value)))


def at(rng: random.Random, start: str, end: str) -> clock:
    """A clock time between two "HH:MM" times, to the minute."""
    first, last = (clock.fromisoformat(t) for t in (start, end))
    minutes = rng.randint(first.hour * 60 + first.minute, last.hour * 60 + last.minute)
    return clock(minutes // 60, minutes % 60)


def generated(plan: Plan, *, start: date = COHORT_START, days: int = COHORT_DAYS, seed: int = COHORT_SEED) -> Patient:
    """A diary of `days` days for a plan; the same plan and seed always give the same diary.

    Mechanical back pain (CLINICAL.md): low on waking, higher in the evening after activity, worse
    with movement, tiredness that rest relieves, easing once therapy starts. Noise: 1–4 check-ins a
    day (waking, afternoon, evening, sometimes at night), missed days and a week away, nausea, a bad
    night now and then (woken by pain, slept badly).
    """
    rng = random.Random(f"diary:{seed}:{plan.index}")
    morning_pain = rng.uniform(0.5, 2.0)
    evening_pain = rng.uniform(3.5, 6.0)
    weight = rng.uniform(55, 95) if rng.random() < 0.6 else None  # 60% weigh themselves weekly
    weigh_day = rng.randrange(7)
    therapy_day = rng.choice([None, rng.randint(-40, -1), rng.randint(0, days // 2)])
    if plan.noisy:
        chance = {
            "morning": rng.uniform(0.6, 0.95),
            "afternoon": rng.uniform(0.05, 0.3),
            "evening": rng.uniform(0.5, 0.9),
            "night": rng.uniform(0.0, 0.08),
        }
        missed, nausea, bad_night = rng.uniform(0.03, 0.12), rng.uniform(0.02, 0.1), rng.uniform(0.01, 0.04)
        away = rng.randint(10, days - 10) if rng.random() < 0.3 else None  # a few days without the diary
        away_days = rng.randint(3, 6)
    else:
        chance = {"morning": 0.95, "afternoon": 0.1, "evening": 0.9, "night": 0.0}
        missed, nausea, bad_night, away, away_days = 0.02, 0.0, 0.0, None, 0
    if plan.warning == "weight_loss" and weight is None:
        weight = rng.uniform(55, 95)

    entries: list[Entry] = []
    for index in range(days):
        day = start + timedelta(days=index)
        warned = plan.onset is not None and index >= plan.onset
        # Therapy halves mechanical pain over four weeks (pain_not_improving asks for 30% after four).
        weeks_in = 0.0 if therapy_day is None else max(0.0, (index - therapy_day) / 7)
        ease = 1 - 0.5 * min(1.0, weeks_in / 4)
        flare = rng.uniform(-0.8, 0.8)  # a day's ups and downs, shared by its check-ins
        skipped = rng.random() < missed or (away is not None and away <= index < away + away_days)
        bad = rng.random() < bad_night
        night_pain = warned and plan.warning == "night_pain"
        numb = warned and plan.warning in ("new_numbness", "cord_compression") and rng.random() < 0.5
        symptoms: set[str] = set()
        if plan.warning == "blood_in_urine" and index in (plan.onset, plan.event):
            symptoms.add("blood_in_urine")
        if plan.warning == "cord_compression" and index == plan.event:
            symptoms |= {"limb_weakness", "difficulty_walking"}
        if plan.warning == "weight_loss" and warned and index - (plan.onset or 0) >= 14 and rng.random() < 0.15:
            symptoms.add("unexplained_weight_loss")
        if numb:
            symptoms.add("limb_numbness_tingling")
        if symptoms:
            skipped = False  # what is worth reporting gets reported
        if skipped:
            continue

        slots = [part for part in ("night", "morning", "afternoon", "evening") if rng.random() < chance[part]]
        if night_pain and rng.random() < 0.4:
            slots.append("night")
        slots = sorted(set(slots), key=("night", "morning", "afternoon", "evening").index) or ["evening"]
        for part in slots:
            fields: dict[str, Any] = {"symptoms": set()}
            if part == "night":
                moment = at(rng, "01:00", "04:30")
                fields["pain"] = clamp(rng.uniform(5, 7.5)) if night_pain else clamp(1 + flare, high=3)
                fields["movement_effect"] = "no_change" if night_pain else None
            elif part == "morning":
                moment = at(rng, "06:30", "09:30")
                pain = morning_pain * ease + flare
                woke = bad or (night_pain and rng.random() < 0.6)
                if night_pain:
                    pain += 4
                fields |= {
                    "pain": clamp(pain),
                    "movement_effect": "no_change" if night_pain else "worse",
                    "fatigue": clamp(rng.uniform(1, 3) + (2 if woke else 0)),
                    "rest_helped": "yes" if not woke else "somewhat",
                    "sleep_hours": round(rng.uniform(4, 6) if woke else rng.uniform(6.5, 8.5), 1),
                    "woke_from_pain": woke,
                }
                if bad and rng.random() < 0.5:
                    fields["symptoms"].add("difficulty_sleeping")
                if weight is not None and index % 7 == weigh_day:
                    lost = 0.13 * (index - plan.onset) if plan.warning == "weight_loss" and warned else 0.0
                    fields["weight_kg"] = round(weight - lost + rng.uniform(-0.5, 0.5), 1)
            elif part == "afternoon":
                moment = at(rng, "13:00", "16:30")
                pain = (morning_pain + evening_pain) / 2 * ease + flare
                fields |= {"pain": clamp(pain), "movement_effect": "worse" if pain >= 1.5 else None}
            else:
                moment = at(rng, "19:00", "22:30")
                pain = evening_pain * ease + flare + (1 if night_pain else 0)
                fields |= {
                    "pain": clamp(pain),
                    "movement_effect": ("no_change" if night_pain else "worse") if rng.random() < 0.92 else "better",
                    "fatigue": clamp(rng.uniform(3, 5)),
                    "rest_helped": "yes" if rng.random() < 0.85 else "somewhat",
                }
            if plan.noisy and rng.random() < nausea:
                fields["symptoms"].add("nausea")
            fields["symptoms"] |= symptoms
            entries.append(entry(len(entries) + 1, day, moment, fields))
    return Patient(
        name=f"Patient {plan.index:03}",
        group=plan.group,
        entries=tuple(entries),
        first_day=start,
        last_day=start + timedelta(days=days - 1),
        therapy_started_on=None if therapy_day is None else start + timedelta(days=therapy_day),
    )


# --- the replay -----------------------------------------------------------------------------------


class World:
    """One alert policy's view of a diary being replayed: its acknowledgements, full-screen alerts and raises."""

    def __init__(self, *, old: bool) -> None:
        self.old = old
        self.acks: dict[str, flag_policy.Acknowledged] = {}
        self.pending: set[str] = set()  # open, unacknowledged at the end of yesterday: acknowledged today
        self.open: dict[str, bool] = {}  # the urgent-or-higher flags shown last, and whether acknowledged
        self.full_screen: dict[date, int] = defaultdict(int)
        self.raised: set[date] = set()
        self.acknowledgements = 0

    def shown(self, flags: Sequence[Mapping[str, Any]], as_of: date) -> list[dict[str, Any]]:
        """The flags with "acknowledged", as selectors._with_acknowledgement gives them."""
        out = []
        for flag in flags:
            ack = self.acks.get(flag["code"])
            acknowledged = None
            if ack is not None and flag_policy.still_covers(ack, flag, as_of):
                acknowledged = {
                    "by": {"id": 0, "display_name": "Simulated therapist"},
                    "at": ack.on,
                    "note": None,
                    "follow_up_on": ack.follow_up_on,
                    "share_with_patient": False,
                }
            out.append({**flag, "acknowledged": acknowledged})
        return out

    def look(self, flags: Sequence[Mapping[str, Any]], as_of: date) -> list[dict[str, Any]]:
        """Show the flags as they stand now, noting any urgent-or-higher flag raised or raised again for the therapist.

        Raised: it was not open (at emergency or urgent) before. Raised again: it was acknowledged
        and the acknowledgement no longer covers it (BEFORE: its evidence gained a check-in the
        acknowledgement did not see; AFTER: flag_policy.still_covers).
        """
        shown = self.shown(flags, as_of)
        now = {flag["code"]: bool(flag["acknowledged"]) for flag in shown if flag["level"] in ALERT_LEVELS}
        if any(code not in self.open or (self.open[code] and not seen) for code, seen in now.items()):
            self.raised.add(as_of)
        self.open = now
        return shown

    def check_in(self, before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], new: Entry) -> None:
        day = new.local_date
        shown_before = self.shown(before, day)
        shown_after = self.look(after, day)
        if self.old:
            full = any(flag["level"] in ALERT_LEVELS for flag in shown_after)
        else:
            full = bool(flag_policy.news(shown_before, shown_after, new.symptoms))
        if full:
            self.full_screen[day] += 1

    def acknowledge(self, flags: Sequence[Mapping[str, Any]], today: date) -> None:
        """The therapist's round: acknowledge what was left open and unacknowledged yesterday, as it shows now."""
        for flag in self.shown(flags, today):
            if flag["code"] in self.pending and flag["level"] in ALERT_LEVELS and not flag["acknowledged"]:
                self.acks[flag["code"]] = flag_policy.Acknowledged(
                    seen=flag_policy.Seen.of(flag),
                    on=today,
                    # Before version 1.1 an acknowledgement had no follow-up: it covered the check-ins it saw.
                    follow_up_on=None if self.old else flag_policy.default_follow_up(flag["level"], today),
                    checkin_ids=frozenset(flag["evidence"].get("checkin_ids", ())),
                )
                self.acknowledgements += 1
        self.look(flags, today)

    def end_of_day(self, flags: Sequence[Mapping[str, Any]], today: date) -> None:
        self.pending = {
            flag["code"]
            for flag in self.shown(flags, today)
            if flag["level"] in ALERT_LEVELS and not flag["acknowledged"]
        }


@dataclass
class Load:
    """What one replayed diary gave, per 7-day block of its days (the last block may be shorter)."""

    name: str
    group: str
    weeks: int
    full_screen: dict[str, list[int]]  # world → full-screen alerts per week
    raised: dict[str, list[bool]]  # world → an urgent-or-higher flag raised or raised again that week
    active: list[bool]  # an urgent-or-higher flag open at some point of the week (the same in both worlds)
    levels: dict[str, str] = field(default_factory=dict)  # every flag code seen, with its highest level
    checkins: int = 0
    evaluations: int = 0
    acknowledgements: dict[str, int] = field(default_factory=dict)


def judge(entries: list[Entry], facts: PatientFacts, as_of: date) -> list[dict[str, Any]]:
    """The flags flag_state_for stores, as of a date: most severe first, as flag_data writes them.

    Every check-in so far is passed: a replay is at most 90 days, well inside the longest window the
    rules read (weight: 30 days and the 180 before), so nothing needs trimming.
    """
    if not entries:
        return []
    evaluation = trends.evaluate(entries, facts, as_of)
    return [flag_data(flag) for flag in sorted(evaluation.flags, key=lambda flag: trends.LEVEL_RANK[flag.level])]


def replay(patient: Patient) -> Load:
    """Replay a diary check-in by check-in (patient.entries are in time order), through both worlds."""
    facts = PatientFacts(therapy_started_on=patient.therapy_started_on)
    worlds = {"before": World(old=True), "after": World(old=False)}
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for item in patient.entries:
        by_day[item.local_date].append(item)
    days = (patient.last_day - patient.first_day).days + 1
    weeks = math.ceil(days / 7)
    active = [False] * weeks
    levels: dict[str, str] = {}
    judged: list[Entry] = []
    evaluations = 0

    def note(flags: list[dict[str, Any]], day: date) -> None:
        for flag in flags:
            known = levels.get(flag["code"])
            if known is None or trends.LEVEL_RANK[flag["level"]] < trends.LEVEL_RANK[known]:
                levels[flag["code"]] = flag["level"]
            if flag["level"] in ALERT_LEVELS:
                active[(day - patient.first_day).days // 7] = True

    for offset in range(days):
        day = patient.first_day + timedelta(days=offset)
        # The day turned: the windows slide, so the stored flags are judged again before anything else.
        state = judge(judged, facts, day)
        evaluations += 1
        note(state, day)
        for world in worlds.values():
            world.look(state, day)
        rounds_done = False
        for new in by_day.get(day, ()):
            if not rounds_done and new.local_time >= THERAPIST_AT:
                for world in worlds.values():
                    world.acknowledge(state, day)
                rounds_done = True
            judged.append(new)
            after = judge(judged, facts, day)
            evaluations += 1
            note(after, day)
            for world in worlds.values():
                world.check_in(state, after, new)
            state = after
        for world in worlds.values():
            if not rounds_done:
                world.acknowledge(state, day)
            world.end_of_day(state, day)

    def per_week(days_seen: Iterable[date], counts: Mapping[date, int] | None = None) -> list[int]:
        totals = [0] * weeks
        for day in days_seen:
            totals[(day - patient.first_day).days // 7] += counts[day] if counts is not None else 1
        return totals

    return Load(
        name=patient.name,
        group=patient.group,
        weeks=weeks,
        full_screen={name: per_week(w.full_screen, w.full_screen) for name, w in worlds.items()},
        raised={name: [count > 0 for count in per_week(w.raised)] for name, w in worlds.items()},
        active=active,
        levels=levels,
        checkins=len(patient.entries),
        evaluations=evaluations,
        acknowledgements={name: w.acknowledgements for name, w in worlds.items()},
    )


# --- the figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    patients: int
    weeks: int
    checkins: int
    raised_share: dict[str, float]
    full_screen_mean: dict[str, float]
    full_screen_max: dict[str, int]
    full_screen_total: dict[str, int]
    active_share: float
    ever_share: float


def figures(loads: Sequence[Load]) -> Figures:
    weeks = sum(load.weeks for load in loads)
    worlds = ("before", "after")
    return Figures(
        patients=len(loads),
        weeks=weeks,
        checkins=sum(load.checkins for load in loads),
        raised_share={w: sum(sum(load.raised[w]) for load in loads) / weeks for w in worlds},
        full_screen_mean={w: statistics.fmean(n for load in loads for n in load.full_screen[w]) for w in worlds},
        full_screen_max={w: max(n for load in loads for n in load.full_screen[w]) for w in worlds},
        full_screen_total={w: sum(sum(load.full_screen[w]) for load in loads) for w in worlds},
        active_share=sum(sum(load.active) for load in loads) / weeks,
        ever_share=sum(1 for load in loads if any(load.active)) / len(loads),
    )


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def table(columns: dict[str, Figures]) -> list[str]:
    """Rows of figures; each population has a BEFORE and an AFTER column."""
    width = 44
    head = "".join(f"{name:>22}" for name in columns)
    sub = "".join(f"{'before':>11}{'after':>11}" for _ in columns)
    lines = [f"{'':{width}}{head}", f"{'':{width}}{sub}"]

    def row(label: str, cells: Iterable[tuple[str, str]]) -> None:
        lines.append(f"{label:{width}}" + "".join(f"{b:>11}{a:>11}" for b, a in cells))

    def both(label: str, value: Any) -> None:
        lines.append(f"{label:{width}}" + "".join(f"{value(f):>22}" for f in columns.values()))

    both("patients / patient-weeks / check-ins", lambda f: f"{f.patients} / {f.weeks} / {f.checkins}")
    row(
        "1. weeks with urgent+ raised or re-raised",
        ((percent(f.raised_share["before"]), percent(f.raised_share["after"])) for f in columns.values()),
    )
    row(
        "2. full-screen alerts per patient-week",
        ((f"{f.full_screen_mean['before']:.2f}", f"{f.full_screen_mean['after']:.2f}") for f in columns.values()),
    )
    row(
        "   ... most in one patient-week",
        ((str(f.full_screen_max["before"]), str(f.full_screen_max["after"])) for f in columns.values()),
    )
    row(
        "   ... all full-screen alerts",
        ((str(f.full_screen_total["before"]), str(f.full_screen_total["after"])) for f in columns.values()),
    )
    both("3. weeks with an urgent+ flag open", lambda f: percent(f.active_share))
    both("   patients who ever had one", lambda f: percent(f.ever_share))
    return lines


def group_lines(loads: Sequence[Load]) -> list[str]:
    """The cohort by group: who carries the load."""
    groups: dict[str, list[Load]] = defaultdict(list)
    for load in loads:
        groups[load.group.split(":")[0]].append(load)
    lines = [
        f"  {'group':12}{'patients':>9}{'weeks urgent+ open':>20}{'weeks raised b/a':>18}{'full-screen/wk b/a':>20}",
    ]
    for name in ("mechanical", "noisy", "warning"):
        members = groups.get(name, [])
        if not members:
            continue
        f = figures(members)
        raised = f"{percent(f.raised_share['before'])} / {percent(f.raised_share['after'])}"
        full = f"{f.full_screen_mean['before']:.2f} / {f.full_screen_mean['after']:.2f}"
        lines.append(f"  {name:12}{f.patients:>9}{percent(f.active_share):>20}{raised:>18}{full:>20}")
    return lines


def false_alarms(loads: Sequence[Load]) -> str:
    """Which urgent+ flags patients without a warning pattern got (the noise the rules pick up)."""
    counts: dict[str, int] = defaultdict(int)
    for load in loads:
        if not load.group.startswith("warning"):
            for code, level in load.levels.items():
                if level in ALERT_LEVELS:
                    counts[code] += 1
    return ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "none"


def main() -> None:
    started = time.perf_counter()
    demo = [replay(patient) for patient in demo_clinic()]
    demo_seconds = time.perf_counter() - started
    started = time.perf_counter()
    cohort = [replay(generated(plan)) for plan in cohort_plans()]
    cohort_seconds = time.perf_counter() - started

    print("Alert load before and after CLINICAL.md 1.1 (issue 10, item 7); urgent+ = an emergency or urgent flag")
    print(f"  demo clinic: seed_demo's diaries, {seed_demo.DAYS} days to {DEMO_TODAY}")
    print(f"  cohort: {COHORT_PATIENTS} patients × {COHORT_DAYS} days from {COHORT_START}, seed {COHORT_SEED}")
    print("  BEFORE: full-screen after every check-in while an urgent+ flag is open; re-raised on any new check-in")
    print("  AFTER:  full-screen only for flag_policy.news(); re-raised when worse, different, or follow-up passed")
    print("  Assumed therapist: at noon, acknowledges every urgent+ flag left open and unacknowledged the day before")
    print("  (default follow-up: emergency 1 day, urgent 7). Weeks: 7-day blocks from each diary's first day;")
    print(f"  {COHORT_DAYS} days make {COHORT_DAYS // 7} weeks and a {COHORT_DAYS % 7}-day block, counted as a week.")
    print()
    for line in table({"demo clinic": figures(demo), f"cohort {COHORT_PATIENTS}×{COHORT_DAYS}": figures(cohort)}):
        print(line)
    print()
    print("Demo patients: full-screen alerts before → after, weeks raised before → after, urgent+ flags")
    for load in demo:
        full = " → ".join(str(sum(load.full_screen[world])) for world in ("before", "after"))
        raised = " → ".join(str(sum(load.raised[world])) for world in ("before", "after"))
        codes = ", ".join(code for code, level in load.levels.items() if level in ALERT_LEVELS) or "-"
        print(f"  {load.name:13}{full:>9}{raised:>9}  {codes}")
    print("Cohort by group (b/a = before/after):")
    for line in group_lines(cohort):
        print(line)
    print(f"  urgent+ flags in diaries without a warning pattern (patients): {false_alarms(cohort)}")
    evaluations = sum(load.evaluations for load in demo + cohort)
    print(
        f"Run time: demo {demo_seconds:.1f} s, cohort {cohort_seconds:.1f} s; {evaluations} evaluations, "
        f"each in full (every check-in, and every day as it turns)"
    )


if __name__ == "__main__":
    main()
