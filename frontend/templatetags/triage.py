"""The therapist's triage cards (therapist_home.html), made in plain Python.

Forty cards of a few dozen tags each took the template engine about as long as the rest of
the page; here every value still goes through format_html (escaped), as the template did.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from frontend import words
from frontend.templatetags.diary_pages import human_time
from frontend.templatetags.flag_words import level_word, levels_of

register = template.Library()

ACKNOWLEDGED = mark_safe(' <span class="hint">(acknowledged)</span>')


def _seen(flag: dict[str, Any]) -> SafeString:
    return ACKNOWLEDGED if flag["acknowledged"] else mark_safe("")


def _more_flags(flags: list[dict[str, Any]]) -> SafeString:
    """The flags after the top one, folded away."""
    if len(flags) <= 1:
        return mark_safe("")
    more = len(flags) - 1
    items = format_html_join(
        "\n", "<li>{}: {}{}</li>", ((level_word(f["level"]), f["clinician_title"], _seen(f)) for f in flags[1:])
    )
    return format_html(
        '<details class="triage-more"><summary>{} more {}</summary><ul class="triage-flags">{}</ul></details>',
        more,
        words.plural_word(more, "flag"),
        items,
    )


def _last_checkin(row: dict[str, Any]) -> SafeString:
    if row["days_silent"] is None:
        return mark_safe('<p class="triage-missed"><strong>No check-ins yet</strong></p>')
    when = human_time(row["last_checkin_at"])
    if row["missed"]:
        return format_html('<p class="triage-missed"><strong>Missed:</strong> last check-in {}</p>', when)
    return format_html('<p class="hint">Last check-in: {}</p>', when)


def _card(row: dict[str, Any]) -> SafeString:
    flags = row["flags"]
    top = flags[0] if flags else None
    level = row["top_level"] or "none"
    adherence = row["adherence"]
    top_words = format_html(' <span class="triage-top">{}</span>{}', top["clinician_title"], _seen(top)) if top else ""
    return format_html(
        '<li class="card triage-card flag-{level}" data-levels="{levels}" data-name="{name}">\n'
        '<h3><a href="{url}">{display_name}</a></h3>\n'
        '<div class="triage-flag">\n'
        '<p class="flag-action"><span class="level-tag level-{level}">{level_word}</span>{top_words}</p>\n'
        "{more}\n"
        "</div>\n"
        '<div class="triage-trend">\n'
        '<img src="{sparkline}" alt="" width="112" height="31" loading="lazy" decoding="async">\n'
        '<p>{recent_pain}<span class="visually-hidden"> (the day\'s highest, out of 10)</span></p>\n'
        "</div>\n"
        "{last_checkin}\n"
        '<p class="hint triage-adherence">Checked in on {days_14} of the last 14 days, {days_30} of 30'
        " · reminders {reminders}</p>\n"
        "</li>",
        level=level,
        levels=levels_of(flags),
        name=row["display_name"].lower(),
        url=reverse("frontend:patient_detail", args=[row["id"]]),
        display_name=row["display_name"],
        level_word=level_word(row["top_level"]),
        top_words=top_words,
        more=_more_flags(flags),
        sparkline=reverse("frontend:patient_sparkline", args=[row["id"]]),
        recent_pain=row["recent_pain"],
        last_checkin=_last_checkin(row),
        days_14=adherence.last_14_days,
        days_30=adherence.last_30_days,
        reminders="on" if adherence.reminders_on else "off",
    )


@register.simple_tag
def triage_cards(rows: list[dict[str, Any]]) -> SafeString:
    """One card per patient row of patients_by_urgency (with adherence, recent_pain, days_silent, missed)."""
    return format_html_join("\n", "{}", ((_card(row),) for row in rows))
