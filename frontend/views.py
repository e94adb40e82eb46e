"""The pages: a patient keeps their diary, a therapist reads the diaries shared with them.

Every page parses its form, calls one function of diary.services to write, and
reads other people's data only through diary.selectors. Pages run in the
signed-in person's own time zone, so "today" and "08:12" mean what they see
on their clock.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from rest_framework.throttling import ScopedRateThrottle

from diary import audit, consent, flag_policy, lockout, mfa, selectors, services, sessions, zones
from diary import flags as stored_flags
from diary.charts import describe_recent_pain
from diary.flags import FlagNotActive, alerts_for, flags_for, flags_with_checkins, patients_by_urgency
from diary.invite_codes import format_invite_code
from diary.mfa import second_step_exempt
from diary.models import CheckIn, User
from diary.paths import is_api
from diary.trends import LEVELS, has_missed
from frontend import trends
from frontend.access import patient_page, signed_in_page, therapist_page
from frontend.forms import (
    TOO_MANY_ATTEMPTS,
    WRONG_CODE,
    AcknowledgeForm,
    ChangePasswordForm,
    CheckinCreateForm,
    CheckinForm,
    EmailAuthenticationForm,
    LinkForm,
    NewPasswordForm,
    NoteForm,
    ResetRequestForm,
    SecondStepForm,
    SettingsForm,
    SignupForm,
    TimezoneSwitchForm,
    checkin_initial,
)
from frontend.templatetags.flag_words import LEVEL_WORD

CHECKINS_PER_PAGE = 30
RECENT_CHECKINS = 3


def _posted(request: HttpRequest) -> Any:
    """The submitted form data on a POST, None (an unbound form) otherwise."""
    return request.POST if request.method == "POST" else None


class _ThrottleScope:
    """What DRF's ScopedRateThrottle reads from a view: the name of its rate."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def _too_many_attempts(request: HttpRequest, scope: str) -> bool:
    """Count this attempt against the API's rate of the same scope (settings.REST_FRAMEWORK).

    Pages and API share one counter, so signing in (or guessing invite codes) through
    the pages is no way around the API's lockout.
    """
    return not ScopedRateThrottle().allow_request(request, _ThrottleScope(scope))


# --- accounts -----------------------------------------------------------


@sensitive_post_parameters("password")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:home")
    form = SignupForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        if _too_many_attempts(request, "signup"):
            form.add_error(None, TOO_MANY_ATTEMPTS)
            return render(request, "frontend/signup.html", {"form": form}, status=429)
        try:
            user = services.patient_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                timezone_name=form.cleaned_data["timezone"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your diary is ready. Your first check-in can be as short as one number.")
            return redirect("frontend:home")
    return render(request, "frontend/signup.html", {"form": form})


@method_decorator(second_step_exempt, name="dispatch")
class LoginPage(LoginView):
    template_name = "frontend/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.request.method == "POST":
            kwargs["throttled"] = _too_many_attempts(self.request, "login")
        return kwargs

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response


# On a shared phone, signing out must leave nothing of the diary behind: the browser
# empties its caches and the site's storage (the offline outbox in IndexedDB, the
# service worker's cache). Not "cookies": Django ends the session itself, and the
# "You have signed out" message travels in a cookie. diary/api/accounts.py sends the same.


@method_decorator(second_step_exempt, name="dispatch")
class LogoutPage(LogoutView):
    """POST only (Django's LogoutView); says so afterwards, which matters on a shared phone."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        response["Clear-Site-Data"] = sessions.CLEAR_SITE_DATA
        return response


# --- two-step sign-in for therapists (diary/mfa.py) ---------------------------


def _next_or_home(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("frontend:home")


@second_step_exempt
@therapist_page
def second_step_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the code (or type the key), then type the code it shows."""
    therapist = request.user
    if mfa.is_set_up(therapist):
        return redirect("frontend:second_step")
    device = mfa.app_device_to_set_up(therapist)
    form = SecondStepForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        codes = mfa.setup_confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            audit.record(request, "auth:second_step_setup", allowed=True)
            return render(request, "frontend/recovery_codes.html", {"codes": codes, "next": _next_or_home(request)})
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "qr_code": base64.b64encode(mfa.qr_code_svg(device)).decode(),
        "key": mfa.key_in_letters(device),
        "next": _next_or_home(request),
    }
    return render(request, "frontend/second_step_setup.html", context)


@second_step_exempt
@therapist_page
def second_step(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the app, or a recovery code."""
    if mfa.passed(request):
        return redirect(_next_or_home(request))
    if not mfa.is_set_up(request.user):
        return redirect("frontend:second_step_setup")
    form = SecondStepForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, form.cleaned_data["code"]) is not None:
            audit.record(request, "auth:second_step", allowed=True)
            return redirect(_next_or_home(request))
        audit.record(request, "auth:second_step_failed", allowed=False)
        form.add_error("code", WRONG_CODE)
    return render(request, "frontend/second_step.html", {"form": form, "next": _next_or_home(request)})


@therapist_page
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    codes = mfa.recovery_codes_renew(request.user)
    audit.record(request, "auth:recovery_codes_renew", allowed=True)
    return render(request, "frontend/recovery_codes.html", {"codes": codes, "next": reverse("frontend:settings")})


# --- passwords: Django's views, in the diary's pages -------------------------


class PasswordResetPage(PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address has an account."""

    template_name = "frontend/password_reset.html"
    form_class = ResetRequestForm
    email_template_name = "frontend/emails/password_reset.txt"
    subject_template_name = "frontend/emails/password_reset_subject.txt"
    success_url = reverse_lazy("frontend:password_reset_sent")

    def form_valid(self, form: ResetRequestForm) -> HttpResponse:
        self.extra_email_context = {"clinic_name": settings.CLINIC_NAME}
        # Each request sends an email: counted with the sign-in attempts, so it cannot be used to flood an inbox.
        if _too_many_attempts(self.request, "login"):
            form.add_error(None, TOO_MANY_ATTEMPTS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetSentPage(PasswordResetDoneView):
    template_name = "frontend/password_reset_sent.html"


@method_decorator(sensitive_post_parameters("new_password1", "new_password2"), name="dispatch")
class PasswordResetConfirmPage(PasswordResetConfirmView):
    """Choose a new password from the emailed link. Every other session of the account ends (the password
    is part of each session's check), and a lockout of the address is lifted."""

    template_name = "frontend/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("frontend:password_reset_done")

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        axes_reset(username=form.user.email)
        audit.record(
            self.request, "auth:password_reset", allowed=True, actor=form.user, patient_ids=[audit.own(form.user)]
        )
        return response


class PasswordResetDonePage(PasswordResetCompleteView):
    template_name = "frontend/password_reset_done.html"


@method_decorator(sensitive_post_parameters("old_password", "new_password1", "new_password2"), name="dispatch")
class PasswordChangePage(PasswordChangeView):
    """Change one's password; this session stays signed in, every other one ends."""

    template_name = "frontend/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("frontend:settings")

    def form_valid(self, form: ChangePasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        audit.record(self.request, "auth:password_change", allowed=True, actor=user, patient_ids=[audit.own(user)])
        messages.success(self.request, "Password changed. You are still signed in here; everywhere else is signed out.")
        return response


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None) -> HttpResponse:
    """A sign-in refused because the email typed is locked (django-axes, diary/lockout.py): 429, the same
    whether or not an account has that address; JSON for the API, the sign-in page for a person."""
    if is_api(request):
        return JsonResponse({"detail": lockout.LOCKED}, status=429)
    # "throttled" stops the form before it checks the password again, which would count as a failure.
    form = EmailAuthenticationForm(request, data=request.POST, throttled=True)
    form.is_valid()
    form.errors.clear()
    form.add_error(None, lockout.LOCKED)
    return render(request, "frontend/login.html", {"form": form}, status=429)


@signed_in_page
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "therapy_started_on": user.therapy_started_on}
    form = SettingsForm(
        _posted(request),
        initial=initial,
        timezone_name=user.timezone,
        is_patient=user.is_patient,
    )
    if request.method == "POST" and form.is_valid():
        changes: dict[str, Any] = {
            "display_name": form.cleaned_data["display_name"],
            "timezone_name": form.cleaned_data["timezone"],
        }
        if "therapy_started_on" in form.fields:
            changes["therapy_started_on"] = form.cleaned_data["therapy_started_on"]
        try:
            services.profile_update(user=user, **changes)
        except ValidationError as error:
            # profile_update changed the in-memory user before refusing; show the stored one.
            user.refresh_from_db()
            form.add_service_errors(error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("frontend:settings")
    context = {
        "form": form,
        "sessions": sessions.active_sessions(user),
        "current_session": request.session.session_key,
    }
    return render(request, "frontend/settings.html", context)


@patient_page
@require_POST
def timezone_switch(request: HttpRequest) -> HttpResponse:
    """The travel prompt's one tap (checkin.html): the diary follows the zone the phone is on now.

    profile_update re-dates the stored check-ins and judges the flags again in the new zone.
    """
    form = TimezoneSwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Your time zone was not changed: " + " ".join(form.errors["timezone"]))
        return redirect("frontend:home")
    zone = form.cleaned_data["timezone"]
    services.profile_update(user=request.user, timezone_name=zone)
    messages.success(request, f"Your diary now uses {zones.zone_words(zone)}. Past check-ins are dated in it too.")
    return redirect("frontend:home")


@therapist_page
@require_POST
def invite_code_rotate(request: HttpRequest) -> HttpResponse:
    """A therapist's new invite code: the old one stops working; existing links stay."""
    code = services.invite_code_rotate(therapist=request.user)
    messages.success(request, f"Your new invite code is {format_invite_code(code)}. The old one no longer works.")
    return redirect("frontend:home")


@signed_in_page
@require_POST
def sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out everywhere else: every session of this account but this one ends at once."""
    ended = sessions.sign_out_elsewhere(user=request.user, keep=request.session.session_key)
    audit.record(request, "auth:sign_out_elsewhere", allowed=True, patient_ids=[audit.own(request.user)])
    messages.success(request, f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).")
    return redirect("frontend:settings")


# --- home ---------------------------------------------------------------


@signed_in_page
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_therapist:
        return _therapist_home(request)
    return _checkin_page(request)


def _checkin_page(request: HttpRequest) -> HttpResponse:
    patient = request.user
    form = CheckinCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        fields = form.checkin_fields()
        fields.setdefault("recorded_at", timezone.now())
        try:
            result = services.checkin_create(patient=patient, client_uuid=form.cleaned_data["client_uuid"], **fields)
        except services.ClientUuidConflict:
            # Only a tampered form gets here; give it a fresh key and keep the answers.
            data = request.POST.copy()
            data["client_uuid"] = str(uuid4())
            form = CheckinCreateForm(data)
            form.is_valid()
            form.add_error(None, "This form could not be saved. Please press Save check-in again.")
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _saved_message(result.checkin.recorded_at))
            # An emergency or urgent flag this check-in made news is the next thing the patient sees, with or
            # without JavaScript; one already open gets a calm line (CLINICAL.md 1.1).
            alerts = alerts_for(patient, new_codes=result.checkin.new_alerts)
            if any(alert["new"] for alert in alerts):
                return redirect("frontend:alert")
            for alert in alerts:
                messages.info(request, alert["status"])
            return redirect("frontend:home")
    flags = flags_for(patient)["flags"]
    context = {
        "form": form,
        "recent": selectors.checkins_of(patient)[:RECENT_CHECKINS],
        "flags": flags,
        "alerts": [flag for flag in flags if flag["level"] in flag_policy.ALERT_LEVELS],
    }
    return render(request, "frontend/checkin.html", context)


@patient_page
def alert(request: HttpRequest) -> HttpResponse:
    """What to do now: the emergency and urgent flags, each with its call to action.

    A page of its own rather than a dialog, so that no stray tap dismisses it; the
    home page repeats the emergency guidance for as long as the flag is active.
    """
    alerts = alerts_for(request.user)
    emergency = [flag for flag in alerts if flag["level"] == "emergency"]
    urgent = [flag for flag in alerts if flag["level"] == "urgent"]
    return render(request, "frontend/alert.html", {"emergency": emergency, "urgent": urgent})


def _saved_message(recorded_at: datetime) -> str:
    local = timezone.localtime(recorded_at)
    if local.date() == timezone.localdate():
        return f"Check-in saved at {local:%H:%M}."
    return f"Check-in saved for {date_format(local, 'l j F')} at {local:%H:%M}."


def _silence(patient: User, last_checkin_at: datetime | None) -> tuple[int | None, bool]:
    """Whole local dates since the patient's last check-in, in their zone (0: today), and whether they missed.

    "Missed" is the missed_checkins flag's rule (CLINICAL.md 1.1), whatever the gap shown.
    """
    if last_checkin_at is None:
        return None, False
    today = selectors.today_for(patient)
    last_on = last_checkin_at.astimezone(ZoneInfo(patient.timezone)).date()
    return (today - last_on).days, has_missed(last_on, today)


def _therapist_home(request: HttpRequest) -> HttpResponse:
    therapist = request.user
    # Most urgent first, in a fixed number of queries (see patients_by_urgency), plus one for
    # everyone's last two weeks of pain.
    rows = patients_by_urgency(therapist)
    audit.shown(request, [row["id"] for row in rows])
    highs = selectors.daily_pain_highs([row["patient"] for row in rows], trends.SPARKLINE_DAYS)
    for row in rows:
        row["recent_pain"] = describe_recent_pain(highs[row["id"]])
        row["days_silent"], row["missed"] = _silence(row["patient"], row["last_checkin_at"])
    context = {
        "rows": rows,
        "levels": [(level, LEVEL_WORD[level]) for level in LEVELS],
        "invite_code": format_invite_code(therapist.invite_code),
    }
    return render(request, "frontend/therapist_home.html", context)


# --- a patient's own diary ----------------------------------------------


@patient_page
def history(request: HttpRequest) -> HttpResponse:
    checkins = selectors.checkins_of(request.user)
    page = Paginator(checkins, CHECKINS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "frontend/history.html", {"page": page})


@patient_page
def checkin_edit(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = selectors.own_checkin(request.user, checkin_id)
    # Kept aside: checkin_update changes the object before it can refuse.
    recorded_at = checkin.recorded_at
    form = CheckinForm(_posted(request), initial=checkin_initial(checkin))
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_update(checkin=checkin, **form.checkin_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Check-in updated.")
            return redirect("frontend:history")
    return render(request, "frontend/checkin_edit.html", {"form": form, "checkin": checkin, "recorded_at": recorded_at})


@patient_page
def checkin_delete(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = selectors.own_checkin(request.user, checkin_id)
    if request.method == "POST":
        services.checkin_delete(checkin=checkin)
        messages.success(request, "Check-in deleted.")
        return redirect("frontend:history")
    return render(request, "frontend/checkin_delete.html", {"checkin": checkin})


@patient_page
def links(request: HttpRequest) -> HttpResponse:
    patient = request.user
    form = LinkForm(_posted(request), initial={"consent_version": consent.VERSION})
    if request.method == "POST" and form.is_valid():
        if _too_many_attempts(request, "link"):
            form.add_error(None, TOO_MANY_ATTEMPTS)
            return render(request, "frontend/links.html", _links_context(patient, form), status=429)
        try:
            result = services.link_create(
                patient=patient,
                invite_code=form.cleaned_data["invite_code"],
                consent_version=form.cleaned_data["consent_version"],
            )
        except services.InviteCodeNotFound:
            form.add_error("invite_code", "No therapist has this code. Check it with your therapist and type it again.")
        except services.ConsentOutdated:
            # Keep the code typed; untick the box, so that agreeing again means reading the new words.
            data = request.POST.copy()
            data["consent_version"] = consent.VERSION
            data.pop("consent", None)
            form = LinkForm(data)
            form.is_valid()
            form.add_error(None, "What a therapist sees has changed since you opened this page. Please read it again.")
        else:
            name = result.link.therapist.name
            if result.created:
                messages.success(request, f"You now share your diary with {name}.")
            else:
                messages.info(request, f"You already share your diary with {name}.")
            return redirect("frontend:links")
    return render(request, "frontend/links.html", _links_context(patient, form))


def _links_context(patient: User, form: LinkForm) -> dict[str, Any]:
    return {
        "form": form,
        "links": selectors.active_links(patient),
        "consent_what_they_see": consent.WHAT_THEY_SEE,
        "consent_what_they_do": consent.WHAT_THEY_DO,
    }


ACCESS_EVENTS_PER_PAGE = 100


@patient_page
def access_log(request: HttpRequest) -> HttpResponse:
    """Who has seen my diary: every time someone else opened it or tried to, newest first.

    Runs of the same thing by the same person on the same day are one line ("looked at your
    charts, 7 times, 14:02 to 14:03").
    """
    page = Paginator(audit.events_about(request.user), ACCESS_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    lines = []
    for (_, day, words, name), events in groupby(
        page.object_list,
        key=lambda e: (e.actor_user_id, timezone.localdate(e.at), audit.action_words(e), e.actor_name),
    ):
        run = list(events)
        lines.append({"day": day, "who": name or "Someone not signed in", "words": words, "events": run})
    return render(request, "frontend/access_log.html", {"page": page, "lines": lines})


@patient_page
@require_POST
def link_end(request: HttpRequest, link_id: int) -> HttpResponse:
    link = selectors.active_link_for(request.user, link_id)
    services.link_end(link=link, by=request.user)
    messages.success(request, f"You stopped sharing your diary with {link.therapist.name}. They can no longer see it.")
    return redirect("frontend:links")


# --- a therapist reading a patient's diary -------------------------------


@therapist_page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    return _patient_page(request, patient, NoteForm(today=selectors.today_for(patient)))


def _patient_page(request: HttpRequest, patient: User, note_form: NoteForm) -> HttpResponse:
    """A patient's diary as their therapist reads it, with the "Add a note" form in the state given."""
    page = Paginator(selectors.checkins_of(patient), CHECKINS_PER_PAGE).get_page(request.GET.get("page"))
    flags = flags_with_checkins(patient, for_clinician=True)
    today = selectors.today_for(patient)
    for flag in flags:
        flag["default_follow_up"] = flag_policy.default_follow_up(flag["level"], today)
    context = {
        "patient": patient,
        "page": page,
        "flags": flags,
        "today": today,
        "ack_form": AcknowledgeForm(),
        "note_form": note_form,
        "timeline": _timeline(patient, page),
        # The page is also shown at the note form's address; its page links must lead back here.
        "pagination_url": reverse("frontend:patient_detail", args=[patient.pk]),
        # The period, the time-of-day picture and the charts (frontend/trends.py).
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
        return redirect("frontend:patient_detail", patient_id=patient.pk)
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
    return redirect("frontend:patient_detail", patient_id=patient.pk)


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
@require_POST
def note_delete(request: HttpRequest, patient_id: int, note_id: int) -> HttpResponse:
    patient = selectors.patient_for(request.user, patient_id)
    note = selectors.therapist_note_for(request.user, patient, note_id)
    # Anyone but the author gets 403: they can see the note, so a 404 would pretend otherwise.
    services.therapist_note_delete(note=note, by=request.user)
    messages.success(request, f"Your note for {date_format(note.written_on, 'l j F Y')} was deleted.")
    return redirect(f"{_timeline_url(patient, note.written_on)}#timeline")
