"""Plain words and numbers for flag details: "Mar 3, 5, 8", "6–8/10"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import groupby
from operator import attrgetter

SYMPTOM_WORDS = {
    "limb_weakness": "arms or legs weak or heavy",
    "difficulty_walking": "difficulty walking",
    "saddle_numbness": "numbness between the legs or buttocks",
    "bladder_control_loss": "leaking urine or unable to pass urine",
    "bowel_control_loss": "loss of bowel control",
    "limb_numbness_tingling": "numbness or tingling in arms or legs",
    "blood_in_stool": "blood in stool",
    "blood_in_urine": "blood in urine",
    "pain_worse_straining": "pain worse on coughing, sneezing or straining",
    "band_like_pain": "a band of pain around the chest or belly",
    "urinary_change": "a change in passing urine",
    "bowel_change": "a change in bowel habits",
    "night_sweats": "heavy night sweats",
    "unexplained_weight_loss": "losing weight without trying",
    "difficulty_sleeping": "difficulty sleeping",
}


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


def fmt_dates(days: Iterable[date]) -> str:
    """Dates as a reader says them: "Mar 3, 5, 8, 9" (the month once per run of the same month)."""
    return ", ".join(
        f"{MONTHS[month - 1]} " + ", ".join(str(day.day) for day in same_month)
        for month, same_month in groupby(sorted(days), key=attrgetter("month"))
    )


def fmt_number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fmt_range(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return fmt_number(low) if low == high else f"{fmt_number(low)}–{fmt_number(high)}"
