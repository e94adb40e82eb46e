"""A patient's own diary: the check-in page (home), what to do now, history, edit and delete."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from diary import flag_policy, medication, selectors, services
from diary.flags import alerts_for, flags_for
from diary.models import Relief
from frontend.access import patient_page, signed_in_page
from frontend.forms import (
    CheckinCreateForm,
    CheckinForm,
    DoseForm,
    ReliefForm,
    checkin_initial,
)
from frontend.views.common import CHECKINS_PER_PAGE, posted
from frontend.views.patients import therapist_home

# The home page lists the latest few, with a link to all of them.
RECENT_CHECKINS = 3

# --- home ---------------------------------------------------------------


@signed_in_page
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_therapist:
        return therapist_home(request)
    if not request.user.is_patient:
        # Clinic staff keep no diary and read none: their place is the admin.
        return redirect("admin:index")
    return _checkin_page(request)


def _checkin_page(request: HttpRequest, *, dose_form: DoseForm | None = None) -> HttpResponse:
    patient = request.user
    form = CheckinCreateForm(posted(request), weight_unit=patient.weight_unit)
    if request.method == "POST" and form.is_valid():
        fields = form.checkin_fields()
        fields.setdefault("recorded_at", timezone.now())
        try:
            result = services.checkin_create(patient=patient, client_uuid=form.cleaned_data["client_uuid"], **fields)
        except services.ClientUuidConflict:
            # Only a tampered form gets here; give it a fresh key and keep the answers.
            data = request.POST.copy()
            data["client_uuid"] = str(uuid4())
            form = CheckinCreateForm(data, weight_unit=patient.weight_unit)
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
        "recent_count": RECENT_CHECKINS,
        "flags": flags,
        "alerts": [flag for flag in flags if flag["level"] in flag_policy.ALERT_LEVELS],
        "relief_dose": selectors.dose_awaiting_relief(patient, now=timezone.now()),
        "relief_form": ReliefForm(),
        "today": timezone.localdate(),
    }
    # "I took a pain reliever" only for a patient with a medicine to log.
    if dose_form is None:
        as_needed = selectors.as_needed_medicines_of(patient)
        dose_form = DoseForm(medicines=as_needed) if as_needed else None
    context["dose_form"] = dose_form
    return render(request, "frontend/checkin.html", context)


@patient_page
@require_POST
def dose_log(request: HttpRequest) -> HttpResponse:
    """ "I took a pain reliever" without JavaScript: the same service as POST doses, once per rendered form."""
    patient = request.user
    form = DoseForm(request.POST, medicines=selectors.as_needed_medicines_of(patient))
    if form.is_valid():
        try:
            result = medication.dose_create(
                patient=patient,
                client_uuid=form.cleaned_data["client_uuid"],
                medicine_id=form.cleaned_data["medicine_id"],
                taken_at=form.cleaned_data["taken_at"] or timezone.now(),
            )
        except medication.DoseUuidConflict:
            # Only a tampered form gets here; give it a fresh key and keep the answers.
            data = request.POST.copy()
            data["client_uuid"] = str(uuid4())
            form = DoseForm(data, medicines=selectors.as_needed_medicines_of(patient))
            form.is_valid()
            form.add_error(None, "This dose could not be saved. Please press Save dose again.")
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            dose = result.dose
            taken = timezone.localtime(dose.taken_at)
            messages.success(request, f"Saved: {dose.medicine.label} at {taken:%H:%M}. Later we will ask if it helped.")
            return redirect("frontend:home")
    return _checkin_page(request, dose_form=form)


@patient_page
@require_POST
def dose_relief(request: HttpRequest, dose_id: int) -> HttpResponse:
    """ "Did the <medicine> help?": one tap, as PATCH doses/{id} {relief}."""
    dose = selectors.own_dose(request.user, dose_id)
    form = ReliefForm(request.POST)
    if form.is_valid():
        medication.dose_update(dose=dose, relief=form.cleaned_data["relief"])
        messages.success(request, f"Thank you. Saved for {dose.medicine.label}: {Relief(dose.relief).label.lower()}.")
    else:
        messages.error(request, "Choose how much it helped, from the four answers.")
    return redirect(reverse("frontend:home"))


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
    unit = request.user.weight_unit
    form = CheckinForm(posted(request), initial=checkin_initial(checkin, unit), weight_unit=unit)
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
