"""A therapist's patients: the list (most urgent first), a patient's page, flags, notes, the invite code."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from diary import audit, flag_policy, selectors, services
from diary import flags as stored_flags
from diary.charts import describe_recent_pain
from diary.flags import FlagNotActive, flags_with_checkins, patients_by_urgency
from diary.invite_codes import format_invite_code
from diary.models import CheckIn, User
from diary.trends import LEVELS, RULES_BY_CODE, has_missed
from frontend.access import therapist_page
from frontend.forms import (
    AcknowledgeForm,
    NoteForm,
)
from frontend.templatetags.flag_words import LEVEL_WORD
from frontend.views import trends
from frontend.views.common import CHECKINS_PER_PAGE


def _silence(patient: User, last_checkin_at: datetime | None) -> tuple[int | None, bool]:
    """Whole local dates since the patient's last check-in, in their zone (0: today), and whether they missed.

    "Missed" is the missed_checkins flag's rule (CLINICAL.md 1.1), whatever the gap shown.
    """
    if last_checkin_at is None:
        return None, False
    today = selectors.today_for(patient)
    last_on = last_checkin_at.astimezone(ZoneInfo(patient.timezone)).date()
    return (today - last_on).days, has_missed(last_on, today)


def therapist_home(request: HttpRequest) -> HttpResponse:
    therapist = request.user
    # Most urgent first, in a fixed number of queries (see patients_by_urgency), plus one for
    # everyone's last two weeks of pain.
    rows = patients_by_urgency(therapist)
    audit.shown(request, [row["id"] for row in rows])
    highs = selectors.daily_pain_highs([row["patient"] for row in rows], trends.SPARKLINE_DAYS)
    adherence = selectors.adherence_of([row["patient"] for row in rows])
    for row in rows:
        row["adherence"] = adherence[row["id"]]
        row["recent_pain"] = describe_recent_pain(highs[row["id"]])
        row["days_silent"], row["missed"] = _silence(row["patient"], row["last_checkin_at"])
    context = {
        "rows": rows,
        "levels": [(level, LEVEL_WORD[level]) for level in LEVELS],
        "invite_code": format_invite_code(therapist.invite_code),
    }
    return render(request, "frontend/therapist_home.html", context)


@therapist_page
@require_POST
def invite_code_rotate(request: HttpRequest) -> HttpResponse:
    """A therapist's new invite code: the old one stops working; existing links stay."""
    code = services.invite_code_rotate(therapist=request.user)
    messages.success(request, f"Your new invite code is {format_invite_code(code)}. The old one no longer works.")
    return redirect("frontend:home")


# --- a therapist reading a patient's diary -------------------------------


@therapist_page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    return _patient_page(request, patient, NoteForm(today=selectors.today_for(patient)))


# The timeline's filter (a plain GET form, so it works without JavaScript): what a clinician reads first.
TIMELINE_FILTERS = {"": "All check-ins", "symptoms": "With symptoms", "notes": "With notes"}


def _filtered_checkins(patient: User, show: str) -> QuerySet[CheckIn]:
    checkins = selectors.checkins_of(patient)
    if show == "symptoms":
        return checkins.exclude(symptoms=[])
    if show == "notes":
        return checkins.exclude(notes="")
    return checkins


def _patient_page(request: HttpRequest, patient: User, note_form: NoteForm) -> HttpResponse:
    """A patient's diary as their therapist reads it, with the "Add a note" form in the state given."""
    show = request.GET.get("show", "")
    if show not in TIMELINE_FILTERS:
        show = ""
    page = Paginator(_filtered_checkins(patient, show), CHECKINS_PER_PAGE).get_page(request.GET.get("page"))
    flags = flags_with_checkins(patient, for_clinician=True)
    today = selectors.today_for(patient)
    for flag in flags:
        flag["default_follow_up"] = flag_policy.default_follow_up(flag["level"], today)
    context = {
        "patient": patient,
        "page": page,
        "flags": flags,
        "today": today,
        "adherence": selectors.adherence_of([patient])[patient.pk],
        "ack_form": AcknowledgeForm(),
        "note_form": note_form,
        # Therapist notes stand between the check-ins of the whole diary; a filtered list leaves them out.
        "timeline": _timeline(patient, page) if not show else [{"checkin": checkin} for checkin in page],
        "timeline_filters": TIMELINE_FILTERS.items(),
        "show": show,
        # The page is also shown at the note form's address; its page links must lead back here.
        "pagination_url": reverse("frontend:patient_detail", args=[patient.pk]),
        "pagination_query": urlencode({"show": show}) if show else "",
        # The period, the time-of-day picture and the charts (frontend/views/trends.py).
        **trends.trends_context_for_therapist(request, patient, flags),
    }
    return render(request, "frontend/patient_detail.html", context)


@therapist_page
@require_POST
def flag_acknowledge(request: HttpRequest, patient_id: int, code: str) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        problems = [message for field_errors in form.errors.values() for message in field_errors]
        messages.error(request, "The flag was not acknowledged: " + " ".join(problems))
        return redirect(_flag_url(patient, code))
    try:
        ack = stored_flags.flag_acknowledge(patient=patient, therapist=request.user, code=code, **form.cleaned_data)
    except FlagNotActive:
        messages.info(request, "That flag is no longer active, so there was nothing to acknowledge.")
    except ValidationError as error:
        messages.error(request, "The flag was not acknowledged: " + " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Flag acknowledged. It is raised again if it still holds after {date_format(ack.follow_up_on, 'j F')}, "
            "or sooner if it gets worse or changes.",
        )
    return redirect(_flag_url(patient, code))


def _flag_url(patient: User, code: str) -> str:
    """Back to the flag's own card, not the page's top: the therapist may be working down a list of flags."""
    url = reverse("frontend:patient_detail", args=[patient.pk])
    # Only a rule's code goes into the fragment; anything else in the address is not echoed back.
    return f"{url}#flag-{code}" if code in RULES_BY_CODE else url


# --- therapist notes on a patient's timeline ---------------------------------


def _timeline(patient: User, page: Page[CheckIn]) -> list[dict[str, Any]]:
    """The page's check-ins, newest first, with the therapist notes about the days the page covers.

    A note stands above the check-ins of its own day, so it belongs to the page holding the
    first check-in on or before that day: the first page also takes the notes newer than every
    check-in (up to today), the last page those older than every check-in.
    """
    checkins = list(page)
    since = checkins[-1].local_date if checkins and page.has_next() else None
    until = None
    if page.has_previous():
        # Notes on or after the day of the previous page's last check-in stand on that page.
        before = page.start_index() - 2
        days = selectors.checkins_of(patient).values_list("local_date", flat=True)
        newer_day = next(iter(days[before : before + 1]), None)
        if newer_day is not None:
            until = newer_day - timedelta(days=1)
    notes = list(selectors.therapist_notes_of(patient, since=since, until=until))
    rows: list[dict[str, Any]] = []
    waiting = 0
    for checkin in checkins:
        while waiting < len(notes) and notes[waiting].written_on >= checkin.local_date:
            rows.append({"note": notes[waiting]})
            waiting += 1
        rows.append({"checkin": checkin})
    rows.extend({"note": note} for note in notes[waiting:])
    return rows


def _timeline_url(patient: User, day: date) -> str:
    """The patient page that shows the notes about this day (the rule is in _timeline)."""
    url = reverse("frontend:patient_detail", args=[patient.pk])
    newer = selectors.checkins_of(patient).filter(local_date__gt=day).count()
    # Past the last page when every check-in is newer: get_page() then shows the last page.
    number = newer // CHECKINS_PER_PAGE + 1
    return f"{url}?page={number}" if number > 1 else url


@sensitive_post_parameters("text")
@therapist_page
@require_POST
def note_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    form = NoteForm(request.POST, today=selectors.today_for(patient))
    if form.is_valid():
        try:
            note = services.therapist_note_create(
                patient=patient,
                therapist=request.user,
                written_on=form.cleaned_data["written_on"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Note saved for {date_format(note.written_on, 'l j F Y')}.")
            return redirect(f"{_timeline_url(patient, note.written_on)}#note-{note.pk}")
    # The form is far down the page: say at the top that nothing was saved, and where to look.
    messages.error(request, "Your note was not saved. Please check it under “Add a note”: what you typed is there.")
    return _patient_page(request, patient, form)


@therapist_page
def note_delete(request: HttpRequest, patient_id: int, note_id: int) -> HttpResponse:
    """Deleting a note asks first, on a page of its own (no JavaScript needed); only its author may."""
    patient = selectors.patient_for(request.user, patient_id)
    note = selectors.therapist_note_for(request.user, patient, note_id)
    if request.method != "POST":
        # Anyone but the author gets 403 (services.therapist_note_delete's rule, asked here before the
        # question is put): they can see the note, so a 404 would pretend otherwise.
        if note.author_id is None or note.author_id != request.user.pk:
            raise PermissionDenied
        back = f"{_timeline_url(patient, note.written_on)}#note-{note.pk}"
        return render(request, "frontend/note_delete.html", {"patient": patient, "note": note, "back": back})
    services.therapist_note_delete(note=note, by=request.user)
    messages.success(request, f"Your note for {date_format(note.written_on, 'l j F Y')} was deleted.")
    return redirect(f"{_timeline_url(patient, note.written_on)}#timeline")
