"""Accounts: sign-up, sign-in and out, the second step, passwords, settings."""

from __future__ import annotations

import base64
from math import ceil
from typing import Any

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
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from diary import audit, lockout, mfa, reminders, selectors, services, sessions, zones
from diary import signup as signups  # the module; `signup` is the page below
from diary.mfa import second_step_exempt
from diary.paths import is_api
from frontend.access import patient_page, second_step_page, signed_in_page, therapist_page
from frontend.forms import (
    TOO_MANY_ATTEMPTS,
    WRONG_CODE,
    ChangePasswordForm,
    EmailAuthenticationForm,
    NewPasswordForm,
    RemindersForm,
    ResetRequestForm,
    SecondStepForm,
    SettingsForm,
    SignupForm,
    TimezoneSwitchForm,
)
from frontend.views.common import attempt_wait, posted, too_many_attempts

# --- accounts -----------------------------------------------------------


@sensitive_post_parameters("password")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("frontend:home")
    form = SignupForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if too_many_attempts(request, "signup"):
            form.add_error(None, TOO_MANY_ATTEMPTS)
            return render(request, "frontend/signup.html", {"form": form}, status=429)
        if settings.SIGNUP_VERIFY_EMAIL:
            # The same next page whatever the address (diary/signup.py); only the email differs.
            try:
                signups.signup_request(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    timezone_name=form.cleaned_data["timezone"],
                    display_name=form.cleaned_data["display_name"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect("frontend:signup_sent")
            return render(request, "frontend/signup.html", {"form": form})
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


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/signup_sent.html", {"sent": signups.SENT})


# The emailed link's token goes into the session and leaves the address bar at once, as Django's
# PasswordResetConfirmView does: the page people then see (and anything it loads) never has it.
SIGNUP_LINK = "diary_signup_link"


def signup_confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    request.session[SIGNUP_LINK] = token
    return redirect("frontend:signup_confirm")


def signup_confirm(request: HttpRequest) -> HttpResponse:
    """Finish signing up with the link's token (kept in the session): on POST, so that a mail
    scanner opening the link does not use it up."""
    token = request.session.get(SIGNUP_LINK)
    if token and not signups.link_works(token):
        del request.session[SIGNUP_LINK]
        token = None
    if request.method == "POST" and token:
        user = signups.signup_confirm(token=token)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your diary is ready. Your first check-in can be as short as one number.")
            return redirect("frontend:home")
        del request.session[SIGNUP_LINK]
        token = None
    return render(request, "frontend/signup_confirm.html", {"has_link": bool(token), "expired": signups.LINK_EXPIRED})


@method_decorator(second_step_exempt, name="dispatch")
class LoginPage(LoginView):
    template_name = "frontend/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.request.method == "POST":
            wait = attempt_wait(self.request, "login")
            kwargs["throttled"] = wait is not None
            kwargs["wait_seconds"] = wait
        return kwargs

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        if not form.throttled and not lockout.is_locked(self.request):
            # The fourth wrong password says the fifth pauses sign-in (diary/lockout.py).
            warning = lockout.last_try_warning(self.request, form.cleaned_data.get("username", ""))
            if warning:
                form.add_error(None, warning)
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
            if form.wait_seconds is not None:
                response["Retry-After"] = str(ceil(form.wait_seconds))
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


# --- two-step sign-in for therapists and staff (diary/mfa.py) ---------------------------


def _next_or_home(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("frontend:home")


@second_step_exempt
@second_step_page
def second_step_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the code (or type the key), then type the code it shows."""
    therapist = request.user
    if mfa.is_set_up(therapist):
        return redirect("frontend:second_step")
    device = mfa.app_device_to_set_up(therapist)
    form = SecondStepForm(posted(request))
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
@second_step_page
def second_step(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the app, or a recovery code."""
    if mfa.passed(request):
        return redirect(_next_or_home(request))
    if not mfa.is_set_up(request.user):
        return redirect("frontend:second_step_setup")
    form = SecondStepForm(posted(request))
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
        if too_many_attempts(self.request, "login"):
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
        # Django's check against the password refuses the old sessions; deleting them also takes
        # them off the list of one's sessions at once.
        sessions.sign_out_elsewhere(user=form.user, keep=None)
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

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form: ChangePasswordForm) -> HttpResponse:
        # A locked address gets this page with the lockout's words, as 429 (locked_out keeps it).
        status = 429 if lockout.is_locked(self.request) else 200
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def form_valid(self, form: ChangePasswordForm) -> HttpResponse:
        response = super().form_valid(form)  # rotates this session's key; its record follows
        user = form.user
        sessions.sign_out_elsewhere(user=user, keep=self.request.session.session_key)
        audit.record(self.request, "auth:password_change", allowed=True, actor=user, patient_ids=[audit.own(user)])
        messages.success(self.request, "Password changed. You are still signed in here; everywhere else is signed out.")
        return response


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None) -> HttpResponse:
    """A sign-in refused because the email typed is locked (django-axes, diary/lockout.py): 429, the same
    whether or not an account has that address; JSON for the API, the sign-in page for a person."""
    if is_api(request):
        return JsonResponse({"detail": lockout.LOCKED}, status=429)
    if original_response is not None and original_response.status_code == 429:
        return original_response  # a page that said so itself (the password page), in its own words
    # "throttled" stops the form before it checks the password again, which would count as a failure.
    form = EmailAuthenticationForm(request, data=request.POST, throttled=True)
    form.is_valid()
    form.errors.clear()
    form.add_error(None, lockout.LOCKED)
    return render(request, "frontend/login.html", {"form": form}, status=429)


@signed_in_page
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "display_name": user.display_name,
        "therapy_started_on": user.therapy_started_on,
        "weight_unit": user.weight_unit,
    }
    form = SettingsForm(
        posted(request),
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
        if form.cleaned_data.get("weight_unit"):
            changes["weight_unit"] = form.cleaned_data["weight_unit"]
        try:
            services.profile_update(user=user, **changes)
        except ValidationError as error:
            # profile_update changed the in-memory user before refusing; show the stored one.
            user.refresh_from_db()
            form.add_service_errors(error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("frontend:settings")
    return _settings_page(request, form=form)


def _settings_page(
    request: HttpRequest, *, form: SettingsForm, reminders_form: RemindersForm | None = None
) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "form": form,
        "sessions": sessions.active_sessions(user),
        "current_session": request.session.session_key,
    }
    if user.is_patient:
        reminder_settings = selectors.reminder_settings_of(user)
        context["reminders_form"] = reminders_form or RemindersForm(
            initial=RemindersForm.initial_from(reminder_settings)
        )
        context["reminder_settings"] = reminder_settings
        context["zone_words"] = zones.zone_words(user.timezone)
    return render(request, "frontend/settings.html", context)


@patient_page
@require_POST
def reminders_update(request: HttpRequest) -> HttpResponse:
    """The settings page's reminders form, without JavaScript: the same service as PUT reminders."""
    user = request.user
    form = RemindersForm(request.POST)
    if form.is_valid():
        channels = form.cleaned_data["channels"]
        try:
            services.reminders_update(
                patient=user,
                times=form.times(),
                enabled=form.cleaned_data["enabled"],
                missed_nudge=form.cleaned_data["missed_nudge"],
                push="push" in channels,
                email="email" in channels,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Reminders saved.")
            return redirect(reverse("frontend:settings") + "#reminders-title")
    settings_form = SettingsForm(
        initial={"display_name": user.display_name, "therapy_started_on": user.therapy_started_on},
        timezone_name=user.timezone,
        is_patient=True,
    )
    return _settings_page(request, form=settings_form, reminders_form=form)


# One test reminder a minute per patient: each is a message to the push services and perhaps an email.
REMINDER_TEST_SECONDS = 60


@patient_page
@require_POST
def reminder_test(request: HttpRequest) -> HttpResponse:
    """ "Send me a test reminder": one now, to this patient only, by the path the real ones take."""
    if cache.add(f"reminder-test:{request.user.pk}", 1, timeout=REMINDER_TEST_SECONDS):
        reminders.reminder_test_send(patient=request.user)
        messages.success(request, "A test reminder is on its way to your phones, or by email if none can take it.")
    else:
        messages.error(request, "A test reminder was sent less than a minute ago. Wait a moment and try again.")
    return redirect(reverse("frontend:settings") + "#reminders-title")


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


@signed_in_page
@require_POST
def sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out everywhere else: every session of this account but this one ends at once."""
    ended = sessions.sign_out_elsewhere(user=request.user, keep=request.session.session_key)
    audit.record(request, "auth:sign_out_elsewhere", allowed=True, patient_ids=[audit.own(request.user)])
    messages.success(request, f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).")
    return redirect("frontend:settings")
