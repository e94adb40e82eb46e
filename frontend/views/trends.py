"""The trend pages: charts of a period, the time-of-day picture, and the printable visit summary.

A patient sees their own ("My trends", /trends, /summary); a linked therapist sees the
same for a patient on the patient's page and at /patients/<id>/summary. The charts are
SVG images at their own URLs (frontend/drawing.py) with the period in explicit dates, so an
image always matches the page it is on even if the day turns while it loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from diary import chart_cache, selectors, units
from diary import charts as figures
from diary.flags import flags_current_for, flags_with_checkins
from diary.models import CheckIn, User, WeightUnit
from frontend import drawing, words
from frontend.access import patient_page, therapist_page
from frontend.forms import PageForm

ChartUrl = Callable[[str], str]  # a chart's name → the URL of its image, without the period

LONGEST_PERIOD = 366
SPARKLINE_DAYS = 14
# The summary prints on two A4 pages for a typical month, up to seven or eight flags (the demo's
# Maria has seven once her medicines are counted): a few notes and the latest two check-ins per
# flag, with how many more the diary holds.
NOTABLE_NOTES = 5
NOTABLE_PAIN = 7
EVIDENCE_SHOWN = 2


@dataclass(frozen=True)
class ChartSection:
    kind: str  # its name in the chart's URL (drawing.CHARTS)
    title: str
    alt: str
    describe: Callable[[figures.TrendPicture], str]
    columns: tuple[tuple[str, str], ...]  # the data table: (heading, key of diary.charts.daily_rows)


DAILY_CHARTS = (
    ChartSection(
        "pain",
        "Pain each day",
        "Line chart of pain each day: the highest, the first and the last score of the day.",
        figures.describe_pain,
        (("First of day", "pain_first"), ("Last of day", "pain_last"), ("Highest", "pain_max")),
    ),
    # Shown only when the patient has as-needed doses in the period or an as-needed medicine (_shown).
    ChartSection(
        "doses",
        "Pain reliever doses (as needed)",
        "Bar chart of as-needed pain reliever doses each day, under the pain chart.",
        figures.describe_doses,
        (("As-needed doses", "as_needed_doses"),),
    ),
    ChartSection(
        "tiredness",
        "Tiredness each day",
        "Line chart of the day's highest tiredness score.",
        figures.describe_fatigue,
        (("Highest tiredness", "fatigue_max"),),
    ),
    ChartSection(
        "sleep",
        "Sleep",
        "Bar chart of hours slept each night.",
        figures.describe_sleep,
        (("Sleep (hours)", "sleep_hours"),),
    ),
    ChartSection(
        "weight",
        "Weight",
        "Line chart of weight on the days it was taken.",
        figures.describe_weight,
        (("Weight (kg)", "weight_kg"),),
    ),
    ChartSection(
        "exercise",
        "Therapy exercise",
        "Bar chart of minutes of therapy exercise each day.",
        figures.describe_exercise,
        (("Exercise (minutes)", "exercise_minutes"),),
    ),
)


class PeriodForm(PageForm):
    """The period of a trends page: the last `days` (7, 30, 90...), or from `start` to `end`."""

    days = forms.CharField(required=False)  # only ever in a link, so its errors are the form's own
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is None and end is None and not self.has_error("start") and not self.has_error("end"):
            days = _whole_number(data.get("days") or str(figures.DEFAULT_PERIOD))
            if days is None or not 7 <= days <= LONGEST_PERIOD - 1:
                raise forms.ValidationError(f"A period is 7 to {LONGEST_PERIOD - 1} days long.")
            data["start"], data["end"] = self.today - timedelta(days=days - 1), self.today
            return data
        if start is None or end is None:
            if not self.errors:
                raise forms.ValidationError("Give both dates of the period.")
            return data
        if end > self.today:
            self.add_error("end", "The period cannot end after today.")
        elif start > end:
            self.add_error("start", "The period must start on or before the day it ends.")
        elif (end - start).days + 1 > LONGEST_PERIOD:
            self.add_error("start", f"A period can be at most {LONGEST_PERIOD} days long.")
        return data


def _whole_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 5 else None


def _period(request: HttpRequest, today: date) -> tuple[PeriodForm, date, date]:
    """The period asked for, or the last 30 days (with the form's errors to show) if it makes no sense."""
    form = PeriodForm(request.GET or None, today=today)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    start = today - timedelta(days=figures.DEFAULT_PERIOD - 1)
    if not form.is_bound:
        form = PeriodForm(initial={"start": start, "end": today}, today=today)
    return form, start, today


def _trends_context(
    request: HttpRequest, patient: User, chart_url: ChartUrl, flags: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the trend templates show; chart_url(kind) is the URL of a chart image, without the period, and
    `flags` the patient's flags as flags_with_checkins gives them (the page has them already)."""
    today = selectors.today_for(patient)
    form, start, end = _period(request, today)
    picture = selectors.trend_picture(patient, start, end, flags=flags)
    unit = weight_unit_for(request, patient)
    period = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    length = (end - start).days + 1
    return {
        "period_form": form,
        "picture": picture,
        "period_days": length,
        "period_choices": [
            {"days": days, "current": length == days and end == today} for days in figures.PERIOD_CHOICES
        ],
        "period_query": period,
        "time_of_day": {
            "url": f"{chart_url('time-of-day')}?{period}",
            "movement_url": f"{chart_url('movement')}?{period}",
            "description": figures.describe_time_of_day(picture),
            "movement_description": figures.describe_movement(picture),
            "headings": [part.label for part in figures.PARTS_OF_DAY],
            "rows": [
                {"date": day, "values": [picture.time_of_day.grid[part.value][i] for part in figures.PARTS_OF_DAY]}
                for i, day in enumerate(picture.time_of_day.dates)
            ],
        },
        "charts": [
            _chart_section(section, picture, chart_url, period, unit)
            for section in DAILY_CHARTS
            if section.kind != "doses" or picture.shows_doses
        ],
    }


def _chart_section(
    section: ChartSection, picture: figures.TrendPicture, chart_url: ChartUrl, period: str, unit: str
) -> dict[str, Any]:
    """One chart's image, words and figures table; weight in `unit` (weight_unit_for)."""
    description = section.describe(picture)
    headings = [heading for heading, _ in section.columns]
    rows = [{"date": row["date"], "values": [row[key] for _, key in section.columns]} for row in picture.days]
    if section.kind == "weight" and unit != WeightUnit.KG:
        description = figures.describe_weight(picture, unit)
        headings = [f"Weight ({unit})"]
        rows = [
            {"date": row["date"], "values": [None if v is None else units.shown_weight(v, unit) for v in row["values"]]}
            for row in rows
        ]
    return {
        "section": section,
        "url": f"{chart_url(section.kind)}?{period}",
        "description": description,
        "height": 160 if section.kind == "doses" else 220,  # the doses' bars are a smaller chart (drawing.py)
        "caption_id": f"chart-{section.kind}-caption",
        "caption": f"{section.title}, {picture.start:%-d %b} to {picture.end:%-d %b %Y}",
        "headings": headings,
        "rows": rows,
    }


def trends_context_for_therapist(request: HttpRequest, patient: User, flags: list[dict[str, Any]]) -> dict[str, Any]:
    context = _trends_context(
        request, patient, lambda kind: reverse("frontend:patient_chart", args=[patient.pk, kind]), flags
    )
    context["reliever_use"] = figures.describe_reliever_use(selectors.reliever_use_change(patient))
    return context


# --- pages --------------------------------------------------------------


@patient_page
def my_trends(request: HttpRequest) -> HttpResponse:
    patient = request.user
    flags = flags_with_checkins(patient)
    context = _trends_context(request, patient, lambda kind: reverse("frontend:my_chart", args=[kind]), flags)
    context["flags"] = flags
    return render(request, "frontend/trends.html", context)


def _summary(request: HttpRequest, patient: User, chart_url: ChartUrl) -> HttpResponse:
    flags = flags_with_checkins(patient, for_clinician=request.user.is_therapist)
    context = _trends_context(request, patient, chart_url, flags)
    picture = context["picture"]
    checkins = selectors.checkins_of(patient, since=picture.start, until=picture.end)
    notes = _notable_notes(checkins, picture.flag_dates)
    notes_total = checkins.exclude(notes="").count()
    days_with_checkins = sum(1 for row in picture.days if row["checkins"])
    context.update(
        {
            "patient": patient,
            "flags": _with_latest_evidence(flags),
            "evidence_shown": EVIDENCE_SHOWN,
            **notes,
            "notes_total": notes_total,
            "notes_share": words.of_the(notes["notable_total"], notes_total, "note"),
            "notable_pain": NOTABLE_PAIN,
            "checkin_count": sum(row["checkins"] for row in picture.days),
            "days_with_checkins": days_with_checkins,
            "checkin_days": words.of_the(days_with_checkins, len(picture.days), "day"),
            # A fact beside the period's others, so that it takes no line of its own in print.
            "reliever_change": figures.describe_reliever_change(selectors.reliever_use_change(patient)),
        }
    )
    return render(request, "frontend/summary.html", context)


@patient_page
def my_summary(request: HttpRequest) -> HttpResponse:
    return _summary(
        request,
        request.user,
        lambda kind: reverse("frontend:my_chart", args=[kind]),
    )


@therapist_page
def patient_summary(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    return _summary(
        request,
        patient,
        lambda kind: reverse("frontend:patient_chart", args=[patient.pk, kind]),
    )


def _with_latest_evidence(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A printed page has room for a flag's latest few check-ins, newest first; the page says how many in all."""
    for flag in flags:
        flag["latest_checkins"] = sorted(flag["checkins"], key=lambda c: c.recorded_at, reverse=True)[:EVIDENCE_SHOWN]
        flag["more_checkins"] = len(flag["checkins"]) - len(flag["latest_checkins"])
    return flags


def _notable_notes(checkins: QuerySet[CheckIn], flag_dates: frozenset[date]) -> dict[str, Any]:
    """The notes worth reading at a visit: high pain, a warning symptom, or a day behind a flag; newest first.

    The same sentence written on many days is one entry that says how often ("Woke at three" on
    nine nights would otherwise fill the page); at most NOTABLE_NOTES entries, and how many more.
    """
    notable = [
        checkin
        for checkin in checkins.exclude(notes="")
        if (checkin.pain or 0) >= NOTABLE_PAIN or checkin.symptoms or checkin.local_date in flag_dates
    ]
    entries: dict[str, dict[str, Any]] = {}
    for checkin in notable:
        same = " ".join(checkin.notes.split()).casefold()
        if same in entries:
            entries[same]["repeats"] += 1
        else:
            entries[same] = {"checkin": checkin, "repeats": 0}
    unique = list(entries.values())
    return {
        "notes": unique[:NOTABLE_NOTES],
        "notable_total": len(notable),
        "notes_more": len(unique[NOTABLE_NOTES:]),
    }


# A chart gets a policy of its own, replacing the site's: it may run no script and load
# nothing, but Matplotlib styles its shapes with style attributes, which the site-wide policy
# (no inline styles) would blank out. None removes a directive (django-csp).
CHART_POLICY: dict[str, list[str] | None] = {
    **{directive: None for directive in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]},
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "frame-ancestors": ["'self'"],
}


def _chart_response(request: HttpRequest, patient: User, kind: str) -> HttpResponse:
    """A chart image, from the shared cache when nothing it shows has changed since it was drawn.

    The caller has passed the gatekeeper, and the audit writes its row whatever the answer; the
    browser still keeps nothing (no-store, diary/middleware.py).
    """
    drawer = drawing.CHARTS.get(kind)
    if drawer is None:
        raise Http404
    state = flags_current_for(patient)  # re-judged first if the patient's day has turned
    form = PeriodForm(request.GET, today=selectors.today_for(patient))
    if not form.is_valid():
        return HttpResponse("That period makes no sense.", status=400, content_type="text/plain")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    # The one chart with a unit the patient chooses.
    unit = weight_unit_for(request, patient) if kind == "weight" else ""
    key = chart_cache.chart_key(
        patient=patient, state=state, kind=kind, start=start, end=end, drawing=drawing.VERSION, unit=unit
    )
    svg = chart_cache.cached_chart(key)
    if svg is None:
        picture = selectors.trend_picture(patient, start, end, flags=flags_with_checkins(patient))
        svg = drawing.weight_chart(picture, unit) if kind == "weight" else drawer(picture)
        chart_cache.keep_chart(key, svg)
    return HttpResponse(svg, content_type="image/svg+xml")


def weight_unit_for(request: HttpRequest, patient: User) -> str:
    """The patient reads their weight in the unit they chose; the care team always in kg."""
    return patient.weight_unit if request.user.pk == patient.pk else WeightUnit.KG


@patient_page
@csp_replace(CHART_POLICY)
def my_chart(request: HttpRequest, kind: str) -> HttpResponse:
    return _chart_response(request, request.user, kind)


@therapist_page
@csp_replace(CHART_POLICY)
def patient_chart(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    return _chart_response(request, patient, kind)


@therapist_page
@csp_replace(CHART_POLICY)
def patient_sparkline(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The small pain line of the therapist's list: the day's highest pain, the last 14 days."""
    patient = selectors.patient_for(request.user, patient_id)
    # Forty of these on a therapist's list: kept in the shared cache like the trend charts.
    state = flags_current_for(patient)
    key = chart_cache.chart_key(
        patient=patient,
        state=state,
        kind="sparkline",
        start=state.as_of - timedelta(days=SPARKLINE_DAYS - 1),
        end=state.as_of,
        drawing=drawing.VERSION,
    )
    svg = chart_cache.cached_chart(key)
    if svg is None:
        # The same figures as the sentence beside it on the list (describe_recent_pain), from one function.
        highs = selectors.daily_pain_highs([patient], SPARKLINE_DAYS)[patient.pk]
        svg = drawing.sparkline(highs)
        chart_cache.keep_chart(key, svg)
    return HttpResponse(svg, content_type="image/svg+xml")
