"""How long evaluate() takes on one patient-year: 365 days × 3 check-ins (night, morning, evening).

Not collected by pytest (the name starts with bench_). Run from the project root:

    .venv/bin/python tests/trends/bench_trends.py

The diary is realistic rather than quiet: months of ordinary mechanical pain, therapy that
does not help, then tiredness, night pain that eases by evening, weight loss and night sweats
in the last weeks, so several rules fire and `since` has long runs to walk back through.
"""

from __future__ import annotations

import random
import statistics
import sys
from datetime import date, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from diary.trends import Entry, PatientFacts, evaluate

AS_OF = date(2026, 3, 31)
DAYS = 365
RUNS = 200


def patient_year(seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    entries: list[Entry] = []
    first = AS_OF - timedelta(days=DAYS - 1)
    weight = 78.0
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        late = offset >= DAYS - 40  # the last weeks: the worrying patterns
        middle = 150 <= offset < DAYS - 40  # therapy has begun and pain does not ease
        if late:
            weight -= 0.12
        night_pain = rng.randint(5, 8) if late else rng.randint(0, 2)
        morning_pain = rng.randint(5, 7) if late else rng.randint(2, 4) if middle else rng.randint(1, 3)
        evening_pain = rng.randint(1, 3) if late else rng.randint(3, 5) if middle else rng.randint(3, 6)
        fatigue = rng.randint(4, 7) if late or middle else rng.randint(1, 3)
        symptoms: set[str] = set()
        if late and rng.random() < 0.3:
            symptoms.add("night_sweats")
        if rng.random() < 0.05:
            symptoms.add("difficulty_sleeping")
        answers: dict[str, dict[str, Any]] = {
            "night": {"pain": night_pain, "woke_from_pain": late and rng.random() < 0.6},
            "morning": {"pain": morning_pain, "fatigue": fatigue, "sleep_hours": round(rng.uniform(5.5, 8.5), 1)},
            "evening": {
                "pain": evening_pain,
                "fatigue": fatigue,
                "rest_helped": "no" if late or middle else rng.choice(["yes", "somewhat"]),
                "symptoms": frozenset(symptoms),
            },
        }
        if offset % 7 == 0:
            answers["morning"]["weight_kg"] = round(weight + rng.uniform(-0.4, 0.4), 1)
        for hour, part in ((2, "night"), (8, "morning"), (20, "evening")):
            pain = answers[part]["pain"]
            entries.append(
                Entry(
                    id=len(entries) + 1,
                    local_date=day,
                    local_time=time(hour, rng.randint(0, 59)),
                    part_of_day=part,
                    movement_effect=("no_change" if late or middle else "worse") if pain >= 3 else None,
                    **answers[part],
                )
            )
    return entries


def main() -> None:
    entries = patient_year()
    facts = PatientFacts(therapy_started_on=AS_OF - timedelta(days=DAYS - 150))
    result = evaluate(entries, facts, AS_OF)
    for flag in result.flags:
        print(f"  {flag.level:9} {flag.code:28} since {flag.since}  {flag.detail}")
    print(f"  not enough data: {', '.join(result.not_enough_data) or 'none'}")
    timings = []
    for _ in range(RUNS):
        started = perf_counter()
        evaluate(entries, facts, AS_OF)
        timings.append((perf_counter() - started) * 1000)
    timings.sort()
    p90 = timings[int(0.9 * len(timings)) - 1]
    print(
        f"{len(entries)} check-ins over {DAYS} days, {RUNS} runs: "
        f"median {statistics.median(timings):.2f} ms, p90 {p90:.2f} ms, min {timings[0]:.2f} ms"
    )


if __name__ == "__main__":
    main()
