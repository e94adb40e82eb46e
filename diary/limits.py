"""The limits of a check-in's answers, each written once with its one message.

The model's validators and check constraints, the API's serializer and the check-in page's form
all take their ranges and messages from here, so the four can no longer disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db.models import Q


@dataclass(frozen=True)
class Range:
    """An answer's lowest and highest value, and what to say about a value outside them."""

    low: int
    high: int
    message: str

    def validators(self) -> list[Any]:
        return [MinValueValidator(self.low, self.message), MaxValueValidator(self.high, self.message)]

    def error_messages(self) -> dict[str, Any]:
        """For a form or serializer field's min_value/max_value."""
        return {"min_value": self.message, "max_value": self.message}

    def condition(self, field: str) -> Q:
        """The check constraint: the database refuses what no path should store."""
        return Q(**{f"{field}__gte": self.low, f"{field}__lte": self.high})


PAIN = Range(0, 10, "Pain must be from 0 to 10.")
FATIGUE = Range(0, 10, "Tiredness must be from 0 to 10.")
SLEEP_HOURS = Range(0, 24, "Hours of sleep must be from 0 to 24.")
WEIGHT_KG = Range(20, 400, "Weight must be from 20 to 400 kg.")
EXERCISE_MINUTES = Range(0, 1440, "Exercise must be from 0 to 1440 minutes.")

NOTES_MAX_LENGTH = 2000
NOTES_TOO_LONG = f"Notes can be at most {NOTES_MAX_LENGTH} characters."
# Where the length typed is known (the form, the model's validator), the message says it too.
NOTES_TOO_LONG_COUNTED = NOTES_TOO_LONG + " These have %(show_value)d."


# A check-in's time may not be later than now (a few minutes' grace for clocks). The check-in page's
# script says the same words before sending; the server stays the authority.
RECORDED_AT_LATER_THAN_NOW = "That time is later than now."


def notes_validators() -> list[Any]:
    return [MaxLengthValidator(NOTES_MAX_LENGTH, NOTES_TOO_LONG_COUNTED)]


# A patient's therapy start date. Any real one is well inside these years; outside them the
# trend module's date arithmetic (baselines weeks before the start) would run off the calendar.
THERAPY_START_EARLIEST = date(1900, 1, 1)
THERAPY_START_LATEST = date(2100, 12, 31)
THERAPY_START_OUT_OF_RANGE = "The therapy start date must be between 1900 and 2100."


def therapy_start_validators() -> list[Any]:
    return [
        MinValueValidator(THERAPY_START_EARLIEST, THERAPY_START_OUT_OF_RANGE),
        MaxValueValidator(THERAPY_START_LATEST, THERAPY_START_OUT_OF_RANGE),
    ]


# Medicines and doses (API.md 1.1): free text, no medical dictionary.
MEDICINE_NAME_MAX_LENGTH = 100
MEDICINE_STRENGTH_MAX_LENGTH = 50
DOSE_AMOUNT_MAX_LENGTH = 50
