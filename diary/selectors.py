"""Reads that cross relations, and the one gatekeeper for who may see whom."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from diary import charts
from diary.models import (
    SUGGESTED_REMINDER_TIME,
    CareLink,
    CheckIn,
    Dose,
    Medicine,
    MedicineKind,
    PushSubscription,
    ReminderSettings,
    Role,
    TherapistNote,
    User,
)


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


LARGEST_ID = 2**63 - 1  # a 64-bit database integer


def id_or_none(value: object) -> int | None:
    """An id as the database can hold it, or None: a number from a URL can be longer than any row's."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 < number <= LARGEST_ID else None


def _visible_or_404(objects: QuerySet[Any], pk: object) -> Any:
    """The object with this id among those the caller may see, else 404 (never 403: no hint that it exists)."""
    number = id_or_none(pk)
    found = objects.filter(pk=number).first() if number is not None else None
    if found is None:
        raise Http404
    return found


def patient_for(user: User, patient_id: object) -> User:
    """The patient with this id if the user may see them, else 404."""
    patient: User = _visible_or_404(patients_visible_to(user), patient_id)
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
    checkin: CheckIn = _visible_or_404(CheckIn.objects.filter(patient=patient).select_related("patient"), checkin_id)
    return checkin


def linked_patients(therapist: User) -> QuerySet[User]:
    """A therapist's patients with the time of each one's last check-in, in one query."""
    # A subquery per patient walks the (patient, -recorded_at) index to its first entry; a
    # Max() over a join would read every check-in of every patient.
    latest = CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-recorded_at").values("recorded_at")[:1]
    return patients_visible_to(therapist).annotate(last_checkin_at=Subquery(latest)).order_by("display_name", "email")


def active_links(user: User) -> QuerySet[CareLink]:
    links = CareLink.objects.filter(ended_at__isnull=True).select_related("patient", "therapist")
    if user.role == Role.PATIENT:
        return links.filter(patient=user)
    if user.role == Role.THERAPIST:
        return links.filter(therapist=user)
    return links.none()


def active_link_for(user: User, link_id: object) -> CareLink:
    """An active link the user is a side of, else 404."""
    link: CareLink = _visible_or_404(active_links(user), link_id)
    return link


# --- therapist notes ----------------------------------------------------------


def therapist_notes_of(
    patient: User, *, since: date | None = None, until: date | None = None
) -> QuerySet[TherapistNote]:
    """The notes about a patient, newest day first, with their authors; optionally within dates (inclusive)."""
    notes = TherapistNote.objects.filter(patient=patient).select_related("author")
    if since is not None:
        notes = notes.filter(written_on__gte=since)
    if until is not None:
        notes = notes.filter(written_on__lte=until)
    return notes.order_by("-written_on", "-created_at", "-id")


def therapist_note_for(therapist: User, patient: User, note_id: object) -> TherapistNote:
    """A note about this patient, if the therapist may read the patient's diary, else 404."""
    notes = TherapistNote.objects.filter(patient=patient, patient__in=patients_visible_to(therapist))
    note: TherapistNote = _visible_or_404(notes, note_id)
    return note


def today_for(person: User) -> date:
    """Today in the person's own time zone: the as-of date of their flags and trends."""
    return timezone.now().astimezone(ZoneInfo(person.timezone)).date()


def daily_pain_highs(patients: list[User], days: int) -> dict[int, list[int | None]]:
    """Each patient's highest pain on each of their last `days` local dates, oldest first; one query for all."""
    todays = {patient.pk: today_for(patient) for patient in patients}
    if not patients:
        return {}
    earliest = min(todays.values()) - timedelta(days=days - 1)
    highs: dict[int, list[int | None]] = {patient.pk: [None] * days for patient in patients}
    scores = CheckIn.objects.filter(patient__in=patients, local_date__gte=earliest, pain__isnull=False)
    for patient_id, local_date, pain in scores.values_list("patient_id", "local_date", "pain").order_by():
        index = days - 1 - (todays[patient_id] - local_date).days
        if 0 <= index < days and pain is not None:
            cells = highs[patient_id]
            cells[index] = max(pain, cells[index] or 0)
    return highs


# The check-in fields charts.daily_rows reads.
DAILY_ROW_FIELDS = (
    "recorded_at",
    "local_date",
    "pain",
    "fatigue",
    "sleep_hours",
    "weight_kg",
    "exercise_minutes",
    "symptoms",
)


def trend_days(patient: User, days: int) -> list[dict[str, Any]]:
    """One row per local date of the last `days`, oldest first; days without check-ins have nulls.

    Each row counts the date's as-needed doses too (null on a date with no check-in and no dose).
    """
    end = today_for(patient)
    start = end - timedelta(days=days - 1)
    doses = doses_of(patient, since=start, until=end).only("local_date", "medicine__kind")
    # Only what a row is made of: 90 days of whole check-ins cost more to load than to sum up.
    checkins = checkins_of(patient, since=start, until=end).only(*DAILY_ROW_FIELDS)
    return charts.daily_rows(checkins, start, end, doses=doses)


def trend_picture(patient: User, start: date, end: date, *, flags: list[dict[str, Any]]) -> charts.TrendPicture:
    """What the charts of a period show: the days, the time-of-day picture, flag days and therapy start.

    `flags` as flags.flags_with_checkins gives them (the caller has read them already).
    """
    # Only the columns the charts read: a period's hundreds of rows spent most of this
    # function's time turning notes, JSON lists and timestamps nobody here reads into Python.
    checkins = list(checkins_of(patient, since=start, until=end).only(*charts.CHECKIN_FIELDS))
    doses = list(doses_of(patient, since=start, until=end))
    return charts.TrendPicture(
        start=start,
        end=end,
        days=charts.daily_rows(checkins, start, end, doses=doses),
        time_of_day=charts.time_of_day(checkins, start, end),
        flag_dates=frozenset(checkin.local_date for flag in flags for checkin in flag["checkins"]),
        therapy_started_on=patient.therapy_started_on,
        shows_doses=bool(doses) or bool(as_needed_medicines_of(patient)),
        relief=charts.relief_counts(doses),
    )


def reliever_use_change(patient: User) -> tuple[float, float] | None:
    """Mean as-needed doses a day before therapy began and lately (charts.reliever_use_change), or None.

    Before: the RELIEVER_USE_DAYS local dates up to the day before therapy_started_on; lately: the
    last RELIEVER_USE_DAYS up to today. None before therapy starts or with too few days on record.
    """
    started = patient.therapy_started_on
    if started is None:
        return None
    days = charts.RELIEVER_USE_DAYS
    today = today_for(patient)
    windows = [(end - timedelta(days=days - 1), end) for end in (started - timedelta(days=1), today)]
    # Both windows in one query for check-ins and one for doses: the page asks on every load.
    either = Q(local_date__range=windows[0]) | Q(local_date__range=windows[1])
    checkins = list(checkins_of(patient).filter(either))
    doses = list(doses_of(patient).filter(either))
    sides = [
        charts.daily_rows(
            [c for c in checkins if start <= c.local_date <= end],
            start,
            end,
            doses=[d for d in doses if start <= d.local_date <= end],
        )
        for start, end in windows
    ]
    return charts.reliever_use_change(sides[0], sides[1])


def checkins_by_id(patient: User, ids: list[int]) -> dict[int, CheckIn]:
    """The patient's own check-ins with these ids (others' ids are ignored), in one query."""
    return {checkin.pk: checkin for checkin in CheckIn.objects.filter(patient=patient, pk__in=set(ids))}


# --- reminders ------------------------------------------------------------------


def reminder_settings_of(patient: User) -> ReminderSettings:
    """A patient's reminder settings; sign-up (and migration 0012) made them, so a missing row is
    shown as the defaults without being written here."""
    found = ReminderSettings.objects.filter(patient=patient).first()
    return found or ReminderSettings(patient=patient, times=[SUGGESTED_REMINDER_TIME])


def push_subscriptions_of(patient: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(patient=patient).order_by("created_at", "id")


def own_push_subscription(patient: User, subscription_id: object) -> PushSubscription:
    """One of the caller's own push subscriptions, else 404."""
    subscription: PushSubscription = _visible_or_404(push_subscriptions_of(patient), subscription_id)
    return subscription


# --- adherence, for the therapist (issue 13) -------------------------------------------------------------

ADHERENCE_WINDOWS = (14, 30)


@dataclass(frozen=True)
class Adherence:
    """Days with at least one check-in among the patient's last 14 and 30 local dates (today
    included), and whether their reminders are on (never the times: those are the patient's own)."""

    last_14_days: int
    last_30_days: int
    reminders_on: bool


def adherence_of(patients: list[User]) -> dict[int, Adherence]:
    """Each patient's adherence, in two queries whatever the number of patients.

    The days are counted by the database, one row per patient: a caseload's month of check-in
    dates is over a thousand rows to send and count otherwise.
    """
    if not patients:
        return {}
    by_today: dict[date, list[int]] = defaultdict(list)
    for patient in patients:
        by_today[today_for(patient)].append(patient.pk)

    def within(days: int) -> Q:
        # Patients' todays differ across zones: one condition for each today among them.
        windows = Q()
        for today, ids in by_today.items():
            windows |= Q(patient_id__in=ids, local_date__range=(today - timedelta(days=days - 1), today))
        return windows

    counts = {
        row["patient_id"]: row
        for row in CheckIn.objects.filter(within(max(ADHERENCE_WINDOWS)), patient__in=patients)
        .values("patient_id")
        .annotate(
            last_14_days=Count("local_date", distinct=True, filter=within(14)),
            last_30_days=Count("local_date", distinct=True, filter=within(30)),
        )
        .order_by()
    }
    reminders_on = set(
        ReminderSettings.objects.filter(patient__in=patients, enabled=True).values_list("patient_id", flat=True)
    )
    return {
        patient.pk: Adherence(
            last_14_days=counts.get(patient.pk, {}).get("last_14_days", 0),
            last_30_days=counts.get(patient.pk, {}).get("last_30_days", 0),
            reminders_on=patient.pk in reminders_on,
        )
        for patient in patients
    }


# --- medicines and doses ----------------------------------------------------------


def medicines_of(patient: User) -> QuerySet[Medicine]:
    """A patient's medicines, those still taken first, then by name."""
    return Medicine.objects.filter(patient=patient).order_by("-active", "name", "id")


def own_medicine(patient: User, medicine_id: object) -> Medicine:
    """One of the patient's own medicines, else 404."""
    medicine: Medicine = _visible_or_404(medicines_of(patient).select_related("patient"), medicine_id)
    return medicine


def as_needed_medicines_of(patient: User) -> list[Medicine]:
    """The medicines a patient can log from the check-in page: taken when needed, and still taken."""
    return list(medicines_of(patient).filter(active=True, kind=MedicineKind.AS_NEEDED))


# "Did it help?" is asked once a dose has had time to work, and not about one taken long ago.
RELIEF_ASKED_AFTER = timedelta(minutes=30)
RELIEF_ASKED_WITHIN = timedelta(hours=12)


def dose_awaiting_relief(patient: User, *, now: datetime) -> Dose | None:
    """The most recent as-needed dose without a relief answer, at least 30 minutes and at most 12 hours old.

    Only as-needed doses: they are the ones taken for pain, and the flags read their answers.
    """
    dose: Dose | None = (
        doses_of(patient)
        .filter(
            relief__isnull=True,
            medicine__kind=MedicineKind.AS_NEEDED,
            taken_at__lte=now - RELIEF_ASKED_AFTER,
            taken_at__gte=now - RELIEF_ASKED_WITHIN,
        )
        .first()
    )
    return dose


def doses_of(patient: User, *, since: date | None = None, until: date | None = None) -> QuerySet[Dose]:
    """A patient's doses with their medicines, newest first, optionally within local dates (inclusive)."""
    doses = Dose.objects.filter(patient=patient).select_related("medicine")
    if since is not None:
        doses = doses.filter(local_date__gte=since)
    if until is not None:
        doses = doses.filter(local_date__lte=until)
    return doses.order_by("-taken_at", "-id")


def own_dose(patient: User, dose_id: object) -> Dose:
    """One of the patient's own doses, else 404."""
    dose: Dose = _visible_or_404(doses_of(patient).select_related("patient"), dose_id)
    return dose
