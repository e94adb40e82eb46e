"""A check-in's row of the therapist's timeline table (patient_detail.html), made in plain Python.

Thirty rows of a few dozen tags and filters each were a large share of the patient page's time
in the template engine; here every value still goes through format_html (escaped), as there.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from diary.models import CheckIn
from frontend.templatetags.diary_pages import answer, location_labels, movement_word, symptom_labels

register = template.Library()


def _pain(checkin: CheckIn) -> SafeString:
    if checkin.pain is None:
        return mark_safe("Pain not given")
    where = format_html(" ({})", location_labels(checkin.pain_locations)) if checkin.pain_locations else ""
    moving = (
        format_html("; moving: {}", movement_word(checkin.movement_effect).lower()) if checkin.movement_effect else ""
    )
    return format_html("<strong>Pain {}/10</strong>{}{}", checkin.pain, where, moving)


def _tiredness(checkin: CheckIn) -> SafeString:
    if checkin.fatigue is None:
        return mark_safe("Tiredness not given")
    rest = format_html("; rest helped: {}", checkin.get_rest_helped_display().lower()) if checkin.rest_helped else ""
    return format_html("<strong>Tiredness {}/10</strong>{}", checkin.fatigue, rest)


def _body(checkin: CheckIn) -> SafeString:
    items = []
    if checkin.sleep_hours is not None:
        items.append(format_html("<li>Sleep {}</li>", answer(checkin.sleep_hours, " hours")))
    if checkin.woke_from_pain is not None:
        items.append(format_html("<li>{}</li>", "Woken by pain" if checkin.woke_from_pain else "Not woken by pain"))
    if checkin.weight_kg is not None:
        items.append(format_html("<li>Weight {}</li>", answer(checkin.weight_kg, " kg")))
    if checkin.exercise_minutes is not None:
        items.append(format_html("<li>Exercise {} min</li>", checkin.exercise_minutes))
    if not items:
        return mark_safe('<span class="hint">None given</span>')
    return format_html('<ul class="plain-list">{}</ul>', mark_safe("".join(items)))  # noqa: S308 (each item escaped)


def _symptoms(checkin: CheckIn) -> SafeString:
    if not checkin.symptoms:
        return mark_safe('<span class="hint">No symptoms</span>')
    items = format_html_join("", "<li>{}</li>", ((label,) for label in symptom_labels(checkin.symptoms)))
    return format_html('<span class="visually-hidden">Symptoms: </span><ul class="plain-list">{}</ul>', items)


def _note(checkin: CheckIn) -> SafeString:
    if not checkin.notes:
        return mark_safe('<span class="hint">No note</span>')
    return format_html('<span class="visually-hidden">Note: </span><span class="notes">{}</span>', checkin.notes)


@register.simple_tag
def checkin_row(checkin: CheckIn) -> SafeString:
    """One <tr>: when (in the active time zone: the template sets the patient's), scores, body, symptoms, note."""
    recorded = timezone.localtime(checkin.recorded_at)
    return format_html(
        '<tr class="checkin-row">\n'
        '<th scope="row"><span class="checkin-date">{}</span> <span class="checkin-when">{}, {}</span></th>\n'
        '<td class="checkin-scores"><ul class="plain-list"><li>{}</li><li>{}</li></ul></td>\n'
        '<td class="checkin-body">{}</td>\n'
        '<td class="checkin-symptoms">{}</td>\n'
        '<td class="checkin-note">{}</td>\n'
        "</tr>",
        date_format(checkin.local_date, "D j M Y"),
        checkin.get_part_of_day_display(),
        f"{recorded:%H:%M}",
        _pain(checkin),
        _tiredness(checkin),
        _body(checkin),
        _symptoms(checkin),
        _note(checkin),
    )
