"""Weight in the patient's own unit on the pages; kilograms everywhere else.

Check-ins store kg, and the API, the exports and the trend rules read kg (API.md is fixed).
Only the patient's pages convert, through these two functions, at the edge.
"""

from __future__ import annotations

from math import ceil, floor

from diary import limits
from diary.models import WeightUnit

KG_PER_LB = 0.45359237  # exact, by definition of the international pound

# The stored range (limits.WEIGHT_KG) in whole pounds, inside it, so a value allowed in lb is allowed in kg.
WEIGHT_LB_LOW = ceil(limits.WEIGHT_KG.low / KG_PER_LB)
WEIGHT_LB_HIGH = floor(limits.WEIGHT_KG.high / KG_PER_LB)
WEIGHT_LB_MESSAGE = f"Weight must be from {WEIGHT_LB_LOW} to {WEIGHT_LB_HIGH} lb."


def kg_from(value: float, unit: str) -> float:
    """A weight typed in `unit`, as stored. Two decimals of kg keep a typed tenth of a pound exact on the way back."""
    return round(value * KG_PER_LB, 2) if unit == WeightUnit.LB else value


def shown_weight(kg: float, unit: str) -> float:
    """A stored weight in `unit`, to a tenth."""
    return round(kg / KG_PER_LB, 1) if unit == WeightUnit.LB else kg
