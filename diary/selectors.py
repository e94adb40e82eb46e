"""Reads that cross relations, and the one gatekeeper for who may see whom."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.http import Http404

from diary.models import CareLink, CheckIn, Role, User


def patients_visible_to(user: User) -> QuerySet[User]:
    """The patients whose diaries this user may read.

    A patient sees only themself; a therapist sees the patients with an active
    care link to them; anyone else sees nobody. Every view that shows a patient's
    data starts here, so access is decided in exactly one place.
    """
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.role == Role.PATIENT:
        return User.objects.filter(pk=user.pk)
    if user.role == Role.THERAPIST:
        active_link = CareLink.objects.filter(patient=OuterRef("pk"), therapist=user, ended_at__isnull=True)
        return User.objects.filter(role=Role.PATIENT, is_active=True).filter(Exists(active_link))
    return User.objects.none()


def patient_for(user: User, patient_id: object) -> User:
    """The patient with this id if the user may see them, else 404 (never 403: no hint that they exist)."""
    try:
        pk = int(str(patient_id))
    except ValueError:
        raise Http404 from None
    patient = patients_visible_to(user).filter(pk=pk).first()
    if patient is None:
        raise Http404
    return patient


def checkins_of(patient: User, *, since: date | None = None, until: date | None = None) -> QuerySet[CheckIn]:
    """A patient's check-ins, newest first, optionally within local dates (inclusive)."""
    checkins = CheckIn.objects.filter(patient=patient)
    if since is not None:
        checkins = checkins.filter(local_date__gte=since)
    if until is not None:
        checkins = checkins.filter(local_date__lte=until)
    return checkins.order_by("-recorded_at", "-id")


def own_checkin(patient: User, checkin_id: object) -> CheckIn:
    """One of the patient's own check-ins, else 404."""
    try:
        pk = int(str(checkin_id))
    except ValueError:
        raise Http404 from None
    checkin = CheckIn.objects.filter(patient=patient, pk=pk).select_related("patient").first()
    if checkin is None:
        raise Http404
    return checkin


def linked_patients(therapist: User) -> QuerySet[User]:
    """A therapist's patients with the time of each one's last check-in, in one query."""
    return (
        patients_visible_to(therapist)
        .annotate(last_checkin_at=Max("checkins__recorded_at"))
        .order_by("display_name", "email")
    )


def active_links(user: User) -> QuerySet[CareLink]:
    links = CareLink.objects.filter(ended_at__isnull=True).select_related("patient", "therapist")
    if user.role == Role.PATIENT:
        return links.filter(patient=user)
    if user.role == Role.THERAPIST:
        return links.filter(therapist=user)
    return links.none()


def active_link_for(user: User, link_id: object) -> CareLink:
    """An active link the user is a side of, else 404."""
    try:
        pk = int(str(link_id))
    except ValueError:
        raise Http404 from None
    link = active_links(user).filter(pk=pk).first()
    if link is None:
        raise Http404
    return link
