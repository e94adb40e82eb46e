"""API v1 routes. Every path answers with and without a trailing slash (API.md)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView

from diary.api import accounts, checkins, export, flags, links, medicines, patients, reminders
from diary.mfa import second_step_exempt

app_name = "api"


def both(route: str, view: Any, name: str) -> list[URLPattern]:
    """The route as written, and the same with a trailing slash, under one name.

    One name, so that the access audit records either spelling as the same action (diary/audit.py
    keys its records and its words by URL name). Django's reverse() takes the last pattern of a name,
    so the slashless form, the one API.md writes, comes last.
    """
    return [path(route + "/", view, name=name), path(route, view, name=name)]


urlpatterns = [
    # Signing in and out work before a therapist's second step (diary/mfa.py); nothing else does.
    *both("auth/csrf", second_step_exempt(accounts.CsrfView.as_view()), "csrf"),
    *both("auth/signup", accounts.SignupView.as_view(), "signup"),
    *both("auth/signup/confirm", accounts.SignupConfirmView.as_view(), "signup-confirm"),
    *both("auth/login", second_step_exempt(accounts.LoginView.as_view()), "login"),
    *both("auth/logout", second_step_exempt(accounts.LogoutView.as_view()), "logout"),
    *both("me", accounts.MeView.as_view(), "me"),
    *both("export", export.ExportView.as_view(), "export"),
    *both("checkins", checkins.CheckinListCreateView.as_view(), "checkins"),
    *both("checkins/<int:checkin_id>", checkins.CheckinDetailView.as_view(), "checkin"),
    *both("consent", links.ConsentView.as_view(), "consent"),
    *both("links", links.LinkListCreateView.as_view(), "links"),
    *both("links/<int:link_id>", links.LinkDetailView.as_view(), "link"),
    *both("patients", patients.PatientListView.as_view(), "patients"),
    *both("patients/<int:patient_id>/checkins", patients.PatientCheckinListView.as_view(), "patient-checkins"),
    *both("patients/<int:patient_id>/export", export.PatientExportView.as_view(), "patient-export"),
    *both("flags", flags.FlagListView.as_view(), "flags"),
    *both("trends", flags.TrendsView.as_view(), "trends"),
    *both("patients/<int:patient_id>/flags", flags.PatientFlagListView.as_view(), "patient-flags"),
    *both("patients/<int:patient_id>/trends", flags.PatientTrendsView.as_view(), "patient-trends"),
    *both(
        "patients/<int:patient_id>/flags/<str:code>/acknowledge",
        flags.FlagAcknowledgeView.as_view(),
        "patient-flag-acknowledge",
    ),
    *both("push/key", reminders.PushKeyView.as_view(), "push-key"),
    *both("push/subscriptions", reminders.PushSubscriptionListCreateView.as_view(), "push-subscriptions"),
    *both(
        "push/subscriptions/<int:subscription_id>",
        reminders.PushSubscriptionDetailView.as_view(),
        "push-subscription",
    ),
    *both("reminders", reminders.RemindersView.as_view(), "reminders"),
    *both("medicines", medicines.MedicineListCreateView.as_view(), "medicines"),
    *both("medicines/<int:medicine_id>", medicines.MedicineDetailView.as_view(), "medicine"),
    *both("doses", medicines.DoseListCreateView.as_view(), "doses"),
    *both("doses/<int:dose_id>", medicines.DoseDetailView.as_view(), "dose"),
    *both("patients/<int:patient_id>/medicines", medicines.PatientMedicineListView.as_view(), "patient-medicines"),
    *both("patients/<int:patient_id>/doses", medicines.PatientDoseListView.as_view(), "patient-doses"),
    *both("schema", SpectacularAPIView.as_view(), "schema"),
]
