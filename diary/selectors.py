"""Reads that cross relations, and the one gatekeeper for who may see whom."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from diary import charts, flag_policy, trends
from diary.models import CareLink, CheckIn, FlagAcknowledgement, FlagState, Role, TherapistNote, User

# How much history the trend module is given: its longest window (weight: the latest
# weight within 30 days against the 180 days before it) with room for "since" to look back
# about six months. Older check-ins are left out, except the therapy baseline (below): a
# flag's "since" stops at this horizon, and a patient silent for longer has no missed_checkins.
TREND_HISTORY_DAYS = 400


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


# --- trends and flags -------------------------------------------------------

_ENTRY_FIELDS = (
    "id",
    "patient_id",
    "recorded_at",
    "local_date",
    "part_of_day",
    "pain",
    "movement_effect",
    "fatigue",
    "rest_helped",
    "sleep_hours",
    "woke_from_pain",
    "weight_kg",
    "symptoms",
)


def trend_entries(patients: list[User], *, as_of: dict[int, date]) -> dict[int, list[trends.Entry]]:
    """The check-ins the trend module needs for each patient, in one query."""
    zones = {patient.pk: ZoneInfo(patient.timezone) for patient in patients}
    # Patients' todays differ across zones; the earliest start serves all.
    start = min(as_of.values()) - timedelta(days=TREND_HISTORY_DAYS)
    history = Q(local_date__gte=start)
    for patient in patients:
        # pain_not_improving compares with the week before therapy began, however long ago that was.
        began = patient.therapy_started_on
        if began is not None and began - timedelta(days=7) < start:
            baseline = (began - timedelta(days=7), began + timedelta(days=6))
            history |= Q(patient_id=patient.pk, local_date__range=baseline)
    checkins = CheckIn.objects.filter(history, patient__in=patients).order_by()
    entries: dict[int, list[trends.Entry]] = {patient.pk: [] for patient in patients}
    for row in checkins.values_list(*_ENTRY_FIELDS):
        (
            id_,
            patient_id,
            recorded_at,
            local_date,
            part_of_day,
            pain,
            movement,
            fatigue,
            rest,
            sleep,
            woke,
            weight,
            symptoms,
        ) = row
        entries[patient_id].append(
            trends.Entry(
                id=id_,
                local_date=local_date,
                local_time=recorded_at.astimezone(zones[patient_id]).time(),
                part_of_day=part_of_day,
                pain=pain,
                movement_effect=movement,
                fatigue=fatigue,
                rest_helped=rest,
                sleep_hours=sleep,
                woke_from_pain=woke,
                weight_kg=weight,
                symptoms=frozenset(symptoms),
            )
        )
    return entries


def today_for(person: User) -> date:
    """Today in the person's own time zone: the as-of date of their flags and trends."""
    return timezone.now().astimezone(ZoneInfo(person.timezone)).date()


def fresh_flag_state(patient: User) -> FlagState:
    """The patient's stored flags, re-judged first if their day has turned since (windows slide)."""
    from diary.services import flags_refresh

    state = FlagState.objects.filter(patient=patient).first()
    if state is None or state.as_of != today_for(patient):
        state = flags_refresh(patient=patient)
    return state


def fresh_flag_states(patients: list[User]) -> dict[int, FlagState]:
    """Fresh flags for many patients in a fixed number of queries, however many there are."""
    from diary.services import flags_refresh_many

    states = {state.patient_id: state for state in FlagState.objects.filter(patient__in=patients)}
    stale = [p for p in patients if p.pk not in states or states[p.pk].as_of != today_for(p)]
    states.update(flags_refresh_many(patients=stale))
    return states


# What the API shows of an acknowledgement, and of the therapist behind it (their name).
ACK_FIELDS = (
    "patient_id",
    "code",
    "at",
    "note",
    "checkin_ids",
    "level",
    "symptoms",
    "peak",
    "follow_up_on",
    "share_with_patient",
    "therapist__id",
    "therapist__email",
    "therapist__display_name",
)


def latest_acknowledgements(patient_ids: list[int]) -> dict[tuple[int, str], FlagAcknowledgement]:
    """The last acknowledgement of each patient's each flag code, in one query.

    Only the last ones are read: a diary kept for years gathers many, and the list must not slow
    down with them.
    """
    newest_first = Window(
        RowNumber(), partition_by=[F("patient_id"), F("code")], order_by=[F("at").desc(), F("id").desc()]
    )
    acks = (
        FlagAcknowledgement.objects.filter(patient_id__in=patient_ids)
        .annotate(newness=newest_first)
        .filter(newness=1)
        .select_related("therapist")
        .only(*ACK_FIELDS)
        .order_by()
    )
    return {(ack.patient_id, ack.code): ack for ack in acks}


def acknowledged_on(ack: FlagAcknowledgement, patient: User) -> date:
    """The acknowledgement's date in the patient's calendar."""
    return ack.at.astimezone(ZoneInfo(patient.timezone)).date()


def _with_acknowledgement(
    flag: dict[str, Any], ack: FlagAcknowledgement | None, patient: User, as_of: date, *, for_clinician: bool
) -> dict[str, Any]:
    """The flag as it is shown: acknowledged only while the acknowledgement still covers it (diary/flag_policy.py).

    The therapist's note reaches the patient only if they chose to share it.
    """
    acknowledged = None
    if ack is not None:
        seen = flag_policy.Acknowledged(
            seen=flag_policy.Seen(level=ack.level, symptoms=frozenset(ack.symptoms), peak=ack.peak),
            on=acknowledged_on(ack, patient),
            follow_up_on=ack.follow_up_on,
            checkin_ids=frozenset(ack.checkin_ids),
        )
        if flag_policy.still_covers(seen, flag, as_of):
            acknowledged = {
                "by": {"id": ack.therapist_id, "display_name": ack.therapist.name},
                "at": ack.at,
                "note": ack.note if for_clinician or ack.share_with_patient else None,
                "follow_up_on": ack.follow_up_on,
                "share_with_patient": ack.share_with_patient,
            }
    return {**flag, "acknowledged": acknowledged}


def shown_flags(
    patient: User,
    state: FlagState,
    acks: dict[tuple[int, str], FlagAcknowledgement],
    *,
    for_clinician: bool = False,
) -> list[dict[str, Any]]:
    """A stored state's flags with their acknowledgements, as the API and the pages show them."""
    return [
        _with_acknowledgement(
            flag, acks.get((patient.pk, flag["code"])), patient, state.as_of, for_clinician=for_clinician
        )
        for flag in state.flags
    ]


def flags_for(patient: User, *, for_clinician: bool = False) -> dict[str, Any]:
    """What GET flags answers: the patient's active flags, most severe first, and what lacked data.

    `for_clinician`: the reader is a therapist, who sees every acknowledgement's note.
    """
    state = fresh_flag_state(patient)
    return {
        "as_of": state.as_of,
        "flags": shown_flags(patient, state, latest_acknowledgements([patient.pk]), for_clinician=for_clinician),
        "not_enough_data": state.not_enough_data,
    }


def flags_with_checkins(patient: User, *, for_clinician: bool = False) -> list[dict[str, Any]]:
    """The active flags as flags_for gives them, each with "checkins": the check-ins behind it (one query for all)."""
    flags: list[dict[str, Any]] = flags_for(patient, for_clinician=for_clinician)["flags"]
    behind = checkins_by_id(patient, [i for flag in flags for i in flag["evidence"].get("checkin_ids", [])])
    for flag in flags:
        flag["checkins"] = [behind[i] for i in flag["evidence"].get("checkin_ids", []) if i in behind]
    return flags


def alerts_for(patient: User, *, new_codes: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The emergency and urgent flags, for the answer to a check-in: each says whether it is news.

    `new_codes` are the codes the check-in made news (CheckIn.new_alerts); the others get a calm
    status line instead of the full-screen alert.
    """
    alerts = []
    for flag in flags_for(patient)["flags"]:
        if flag["level"] not in flag_policy.ALERT_LEVELS:
            continue
        alerts.append({**flag, "new": flag["code"] in new_codes, "status": patient_status_line(patient, flag)})
    return alerts


def patient_status_line(patient: User, flag: dict[str, Any]) -> str:
    """The calm line about an open flag, in the patient's calendar (diary/flag_policy.py)."""
    acknowledged = flag.get("acknowledged")
    on = acknowledged["at"].astimezone(ZoneInfo(patient.timezone)).date() if acknowledged else None
    return flag_policy.status_line(flag, acknowledged_on=on)


def patients_by_urgency(therapist: User) -> list[dict[str, Any]]:
    """A therapist's patients with their flags, most urgent first.

    Order: the most severe level (emergency, urgent, review, info, none); then patients with an
    unacknowledged flag at that level before those whose are all acknowledged; then the most
    recent check-in first. Five queries, whatever the number of patients.
    """
    patients = list(linked_patients(therapist))
    states = fresh_flag_states(patients)
    acks = latest_acknowledgements([p.pk for p in patients])
    rows = []
    for patient in patients:
        state = states.get(patient.pk)
        if state is None:  # the account was erased while this list was being made
            continue
        flags = shown_flags(patient, state, acks, for_clinician=True)
        all_top_seen = all(f["acknowledged"] for f in flags if f["level"] == state.top_level)
        rows.append(
            {
                "patient": patient,
                "id": patient.pk,
                "display_name": patient.name,
                "last_checkin_at": patient.last_checkin_at,  # type: ignore[attr-defined]
                "top_level": state.top_level,
                "flags": flags,
                "_order": (state.top_rank, all_top_seen and bool(flags)),
            }
        )
    rows.sort(key=lambda row: -(row["last_checkin_at"].timestamp() if row["last_checkin_at"] else float("-inf")))
    rows.sort(key=lambda row: row["_order"])
    return rows


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


def trend_days(patient: User, days: int) -> list[dict[str, Any]]:
    """One row per local date of the last `days`, oldest first; days without check-ins have nulls."""
    end = today_for(patient)
    start = end - timedelta(days=days - 1)
    return charts.daily_rows(checkins_of(patient, since=start, until=end), start, end)


def trend_picture(
    patient: User, start: date, end: date, *, flags: list[dict[str, Any]] | None = None
) -> charts.TrendPicture:
    """What the charts of a period show: the days, the time-of-day picture, flag days and therapy start.

    `flags` as flags_with_checkins gives them, when the caller has read them already.
    """
    checkins = list(checkins_of(patient, since=start, until=end))
    if flags is None:
        flags = flags_with_checkins(patient)
    return charts.TrendPicture(
        start=start,
        end=end,
        days=charts.daily_rows(checkins, start, end),
        time_of_day=charts.time_of_day(checkins, start, end),
        flag_dates=frozenset(checkin.local_date for flag in flags for checkin in flag["checkins"]),
        therapy_started_on=patient.therapy_started_on,
    )


def checkins_by_id(patient: User, ids: list[int]) -> dict[int, CheckIn]:
    """The patient's own check-ins with these ids (others' ids are ignored), in one query."""
    return {checkin.pk: checkin for checkin in CheckIn.objects.filter(patient=patient, pk__in=set(ids))}
