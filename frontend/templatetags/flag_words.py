"""Words for flag levels, so a level is never shown by colour alone."""

from __future__ import annotations

from datetime import date

from django import template

from diary import flag_policy

register = template.Library()

# What the patient should do, by level: one home for the words (diary/flag_policy.py).
PATIENT_ACTION = flag_policy.PATIENT_ACTION
LEVEL_WORD = flag_policy.LEVEL_WORD


@register.filter
def patient_action(level: str) -> str:
    return PATIENT_ACTION.get(level, "")


@register.filter
def level_word(level: str | None) -> str:
    return LEVEL_WORD.get(level or "", "No flags")


@register.filter
def levels_of(flags: list[dict[str, object]]) -> str:
    """Every level among a patient's flags, top first and space-separated ("none" without flags), for triage.js."""
    levels = list(dict.fromkeys(str(flag["level"]) for flag in flags))
    return " ".join(levels) or "none"


@register.filter
def as_date(value: object) -> date | object:
    """A flag's "since", stored as an ISO date in the flags' JSON, as a date the date filter can format."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
