"""Plain words for stored codes and times, for the diary's pages."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from diary import units
from diary.models import PainLocation, Symptom

register = template.Library()

LOCATION_LABELS = dict(PainLocation.choices)
SYMPTOM_LABELS = dict(Symptom.choices)


@register.filter
def location_labels(codes: list[str] | None) -> str:
    """["lower_back", "neck"] → "Lower back, Neck"."""
    return ", ".join(LOCATION_LABELS.get(code, code) for code in codes or [])


@register.filter
def symptom_labels(codes: list[str] | None) -> list[str]:
    return [SYMPTOM_LABELS.get(code, code) for code in codes or []]


@register.simple_tag
def human_time(moment: datetime | None, now: datetime | None = None) -> str:
    """ "today 08:12", "yesterday 19:40", "3 days ago", or a date, in the active time zone."""
    if moment is None:
        return "No check-ins yet"
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    days = (today - local.date()).days
    # A phone clock a few minutes fast can put a check-in just past midnight: still "today".
    if days <= 0:
        return f"today {local:%H:%M}"
    if days == 1:
        return f"yesterday {local:%H:%M}"
    if days < 7:
        return f"{days} days ago"
    return date_format(local, "j F Y")


MOVEMENT_WORDS = {"worse": "Worse", "no_change": "No difference", "better": "Better"}


@register.filter
def movement_word(code: str | None) -> str:
    """The table's short form of a movement effect."""
    return MOVEMENT_WORDS.get(code or "", "")


@register.simple_tag
def weight(kg: float | None, unit: str) -> str:
    """A stored weight (kg) in the unit the patient chose in settings, with the unit: "72.5 kg", "159.8 lb"."""
    if kg is None:
        return answer(None)
    return answer(units.shown_weight(kg, unit), f" {unit}")


NOT_ANSWERED = mark_safe('<span aria-hidden="true">–</span><span class="visually-hidden">not answered</span>')


@register.simple_tag
def answer(value: object, suffix: str = "") -> str:
    """A value for a table cell, or a dash that screen readers hear as "not answered"."""
    if value is None or value in ("", []):
        return NOT_ANSWERED
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    if isinstance(value, float):
        value = f"{value:g}"
    return format_html("{}{}", value, suffix)


@functools.lru_cache(maxsize=2048)
def _day_label(day: date, language: str) -> str:
    # Each table of a page repeats the same dates, and Django's date formatting is slow.
    return escape(date_format(day, "D j M"))


def _cell(value: object) -> str:
    # What `answer` shows, without its format_html for the whole numbers that fill most cells.
    return str(value) if type(value) is int else answer(value)


@register.simple_tag
def figure_rows(rows: Iterable[dict[str, Any]]) -> str:
    """The rows of a figures table (_figures_table.html): "Mon 9 Mar", then the values as `answer` shows them.

    Made here in plain Python rather than by a loop in the template: a 90-day trends page has
    some 600 such rows, and the template engine spent most of the page's time on them.
    """
    language = translation.get_language()
    lines = []
    for row in rows:
        day = row["date"]
        label = _day_label(day, language) if isinstance(day, date) else escape(day)
        cells = "".join(f'<td class="number">{_cell(value)}</td>' for value in row["values"])
        lines.append(f'<tr><th scope="row">{label}</th>{cells}</tr>')
    return mark_safe("\n".join(lines))  # noqa: S308 (labels and values are escaped above)
