"""A patient's medicine list (settings): add, rename, mark stopped or taken again. Plain forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from diary import medication, selectors
from diary.models import Medicine
from frontend.access import patient_page
from frontend.forms import MedicineForm, MedicineRenameForm
from frontend.views.common import posted


def _rename_prefix(medicine: Medicine) -> str:
    """Each medicine's rename form has its own field ids, so several fit on one page."""
    return f"medicine-{medicine.pk}"


@patient_page
def medicines(request: HttpRequest) -> HttpResponse:
    """The list, and a form to add one (POST here)."""
    form = MedicineForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            medicine = medication.medicine_create(patient=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{medicine.label} added to your medicines.")
            return redirect("frontend:medicines")
    return _medicines_page(request, form=form)


@patient_page
@require_POST
def medicine_rename(request: HttpRequest, medicine_id: int) -> HttpResponse:
    """A new name or strength for one medicine; errors are shown beside that medicine's form."""
    medicine = selectors.own_medicine(request.user, medicine_id)
    form = MedicineRenameForm(request.POST, prefix=_rename_prefix(medicine))
    if form.is_valid():
        try:
            medication.medicine_update(medicine=medicine, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Saved: {medicine.label}.")
            return redirect("frontend:medicines")
    return _medicines_page(request, form=MedicineForm(), renaming=(medicine.pk, form))


@patient_page
@require_POST
def medicine_active(request: HttpRequest, medicine_id: int) -> HttpResponse:
    """ "I have stopped taking it" / "I take it again": the medicine and its doses stay in the diary."""
    medicine = selectors.own_medicine(request.user, medicine_id)
    active = request.POST.get("active") == "1"
    medication.medicine_update(medicine=medicine, active=active)
    if active:
        messages.success(request, f"{medicine.label} is on your list of medicines you take.")
    else:
        messages.success(request, f"{medicine.label} is marked as stopped. Its doses stay in your diary.")
    return redirect(reverse("frontend:medicines") + f"#medicine-{medicine.pk}")


def _medicines_page(
    request: HttpRequest, *, form: MedicineForm, renaming: tuple[int, MedicineRenameForm] | None = None
) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    for medicine in selectors.medicines_of(request.user):
        if renaming is not None and renaming[0] == medicine.pk:
            rename_form = renaming[1]
        else:
            rename_form = MedicineRenameForm(
                initial={"name": medicine.name, "strength": medicine.strength}, prefix=_rename_prefix(medicine)
            )
        rows.append({"medicine": medicine, "form": rename_form})
    # The page's error summary lists the form that failed, wherever it is on the page.
    failed = renaming[1] if renaming is not None and renaming[1].errors else form
    return render(request, "frontend/medicines.html", {"form": form, "rows": rows, "failed": failed})
