"""Every write to the diary goes through a function here.

Views and commands validate the shape of their input, then call one of these;
the domain rules (ranges, the idempotency key, who may link to whom) live here
once, so the API, the pages and the management commands cannot drift apart.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diary import consent, limits, push, selectors
from diary.chart_cache import charts_changed
from diary.flags import flags_current_for, flags_refresh, lock_diary, note_new_alerts
from diary.invite_codes import new_invite_code, normalize_invite_code
from diary.models import (
    CHECKIN_FIELDS,
    NOTHING_REPORTED,
    REPORTABLE_FIELDS,
    SUGGESTED_REMINDER_TIME,
    CareLink,
    CheckIn,
    Dose,
    DoseReason,
    Medicine,
    MedicineKind,
    PainLocation,
    PartOfDay,
    PushSubscription,
    ReminderSettings,
    Role,
    Symptom,
    TherapistNote,
    User,
)
from diary.zones import canonical_zone

MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=365)


class Unchanged:
    """Marks an optional argument that was not given, where None is a real value."""


UNCHANGED = Unchanged()


class ClientUuidConflict(Exception):
    """The client_uuid belongs to another patient's check-in."""


class DoseUuidConflict(Exception):
    """The client_uuid belongs to another patient's dose."""


class InviteCodeNotFound(Exception):
    """No therapist has this invite code."""


# --- time ---------------------------------------------------------------


def part_of_day_at(moment: datetime) -> str:
    hour = moment.hour
    if hour < 6:
        return PartOfDay.NIGHT
    if hour < 12:
        return PartOfDay.MORNING
    if hour < 18:
        return PartOfDay.AFTERNOON
    return PartOfDay.EVENING


def local_moment(recorded_at: datetime, zone_name: str) -> tuple[date, str]:
    """The patient's local date and part of day for an aware instant."""
    local = recorded_at.astimezone(ZoneInfo(zone_name))
    return local.date(), part_of_day_at(local)


# --- accounts -----------------------------------------------------------


EMAIL_TAKEN = "An account with this email already exists. Try signing in instead."


def _check_new_account(*, email: str, password: str, user: User) -> None:
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_TAKEN]
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)


def _save_new_account(user: User) -> None:
    """Save a checked account. Two signups with one email (a double tap) can both pass the
    check above; the unique index stops the second, which then gets the same answer as if
    it had come a moment later, not a 500."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        if not User.objects.filter(email=user.email).exists():
            raise
        raise ValidationError({"email": [EMAIL_TAKEN]}) from None


def patient_signup(*, email: str, password: str, timezone_name: str, display_name: str = "") -> User:
    email = User.objects.normalize_email(email).lower()
    # An alias (Asia/Calcutta) is stored as its canonical name; anything else is left for full_clean to refuse.
    timezone_name = canonical_zone(timezone_name) or timezone_name
    user = User(email=email, role=Role.PATIENT, timezone=timezone_name, display_name=display_name)
    _check_new_account(email=email, password=password, user=user)
    user.set_password(password)
    user.full_clean()
    _save_new_account(user)
    # Every patient has stored flags from the start, so that lists never judge a new diary on a read.
    flags_refresh(patient=user)
    # Reminders start off, with one evening time suggested; the patient turns them on (API.md 1.1).
    ReminderSettings.objects.create(patient=user, times=[SUGGESTED_REMINDER_TIME])
    return user


def therapist_create(*, email: str, password: str, display_name: str = "", timezone_name: str = "UTC") -> User:
    email = User.objects.normalize_email(email).lower()
    user = User(
        email=email,
        role=Role.THERAPIST,
        display_name=display_name,
        timezone=timezone_name,
        invite_code=new_invite_code(),
    )
    _check_new_account(email=email, password=password, user=user)
    user.set_password(password)
    user.full_clean()
    _save_new_account(user)
    return user


def invite_code_rotate(*, therapist: User) -> str:
    """Give a therapist a fresh code; the old one stops working at once."""
    therapist.invite_code = new_invite_code()
    therapist.save(update_fields=["invite_code"])
    return therapist.invite_code


@transaction.atomic
def profile_update(
    *,
    user: User,
    timezone_name: str | None = None,
    display_name: str | None = None,
    therapy_started_on: date | Unchanged | None = UNCHANGED,
    weight_unit: str | None = None,
) -> User:
    """Change a person's profile. A new time zone re-dates every check-in they stored."""
    if user.is_patient:
        # Change the profile as stored now, with the diary locked: a concurrent change of zone must
        # be neither undone by this save nor left with its check-ins dated in the old zone.
        lock_diary(user)
        user.refresh_from_db(fields=["timezone", "display_name", "therapy_started_on", "weight_unit"])
    old_zone, old_therapy_start = user.timezone, user.therapy_started_on
    if timezone_name is not None:
        user.timezone = canonical_zone(timezone_name) or timezone_name
    if display_name is not None:
        user.display_name = display_name
    if weight_unit is not None:
        # Only how the pages show weight: nothing stored is converted.
        user.weight_unit = weight_unit
    if not isinstance(therapy_started_on, Unchanged):
        if user.is_therapist and therapy_started_on is not None:
            raise ValidationError({"therapy_started_on": ["Only patients have a therapy start date."]})
        if therapy_started_on is not None and not (
            limits.THERAPY_START_EARLIEST <= therapy_started_on <= limits.THERAPY_START_LATEST
        ):
            raise ValidationError({"therapy_started_on": [limits.THERAPY_START_OUT_OF_RANGE]})
        user.therapy_started_on = therapy_started_on
    user.full_clean(exclude=["password"])
    user.save()
    if user.timezone != old_zone:
        _redate_checkins(user)
        _redate_doses(user)
    if user.is_patient and (user.timezone != old_zone or user.therapy_started_on != old_therapy_start):
        # A new zone moves check-ins between days and moves "today"; a new therapy date moves the baseline.
        flags_refresh(patient=user)
    return user


def _redate_checkins(patient: User) -> None:
    checkins = list(CheckIn.objects.filter(patient=patient).only("id", "recorded_at"))
    for checkin in checkins:
        checkin.local_date, checkin.part_of_day = local_moment(checkin.recorded_at, patient.timezone)
    CheckIn.objects.bulk_update(checkins, ["local_date", "part_of_day"], batch_size=500)


def _redate_doses(patient: User) -> None:
    doses = list(Dose.objects.filter(patient=patient).only("id", "taken_at"))
    for dose in doses:
        dose.local_date, dose.part_of_day = local_moment(dose.taken_at, patient.timezone)
    Dose.objects.bulk_update(doses, ["local_date", "part_of_day"], batch_size=500)


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Erase the account and, through the cascades, every check-in, care link and therapist's note about them.

    A therapist's own notes stay with their patients' records, signed "a former therapist".
    """
    user.delete()


# --- check-ins ----------------------------------------------------------


def _unique_codes(values: list[str], allowed: list[str], field: str) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError({field: [f"Unknown code: {', '.join(map(str, unknown))}."]})
    return list(dict.fromkeys(values))


def moment_problem(moment: datetime, *, now: datetime, what: str) -> str | None:
    """What is wrong with the time of a report (a check-in's recorded_at, a dose's taken_at), if anything.

    One rule for both (API.md: taken_at follows the rules of recorded_at): an offset, not more than
    MAX_FUTURE ahead (a phone's clock drifts), not more than MAX_PAST old.
    """
    if timezone.is_naive(moment):
        return "Give the time with its UTC offset, like 2026-03-01T08:30:00+01:00."
    if moment > now + MAX_FUTURE:
        return limits.RECORDED_AT_LATER_THAN_NOW
    if moment < now - MAX_PAST:
        return f"{what} can be at most a year old."
    return None


def _checked_checkin_fields(fields: dict[str, Any], *, now: datetime, recorded_at_changed: bool) -> dict[str, Any]:
    """Rules the field types cannot express: time window, known codes, something reported."""
    recorded_at = fields.get("recorded_at")
    if recorded_at_changed and recorded_at is not None:
        problem = moment_problem(recorded_at, now=now, what="Check-ins")
        if problem:
            raise ValidationError({"recorded_at": [problem]})
    fields["pain_locations"] = _unique_codes(fields.get("pain_locations") or [], PainLocation.values, "pain_locations")
    fields["symptoms"] = _unique_codes(fields.get("symptoms") or [], Symptom.values, "symptoms")
    if not any(fields.get(name) not in (None, [], "") for name in REPORTABLE_FIELDS):
        raise ValidationError({"detail": [NOTHING_REPORTED]}, code="empty")
    return fields


@dataclass(frozen=True)
class CheckinResult:
    checkin: CheckIn
    created: bool


def checkin_create(*, patient: User, client_uuid: UUID, **fields: Any) -> CheckinResult:
    """Store a check-in once. Sending the same client_uuid again returns the stored row.

    The unique constraint on client_uuid is what makes this safe under concurrent
    retries: the loser of a race gets IntegrityError inside its savepoint and then
    reads the winner's row.
    """
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients keep a diary."]})
    existing = _checkin_by_uuid(client_uuid)
    if existing is not None:
        return _replayed(existing, patient)

    unknown = set(fields) - set(CHECKIN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown check-in fields: {sorted(unknown)}")
    fields = _checked_checkin_fields(dict(fields), now=timezone.now(), recorded_at_changed=True)
    checkin = CheckIn(patient=patient, client_uuid=client_uuid, **fields)
    checkin.local_date, checkin.part_of_day = local_moment(checkin.recorded_at, patient.timezone)
    # Constraints are left to the database: validating them here costs a query each.
    checkin.full_clean(exclude=["patient", "client_uuid"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            # Date it in the zone the diary has now: a concurrent profile change may have moved it.
            patient.timezone = lock_diary(patient)
            checkin.local_date, checkin.part_of_day = local_moment(checkin.recorded_at, patient.timezone)
            before = flags_current_for(patient)
            checkin.save()
            after = flags_refresh(patient=patient)
            note_new_alerts(checkin, before, after)
    except IntegrityError:
        existing = _checkin_by_uuid(client_uuid)
        if existing is None:
            raise
        return _replayed(existing, patient)
    return CheckinResult(checkin=checkin, created=True)


def _checkin_by_uuid(client_uuid: UUID) -> CheckIn | None:
    return CheckIn.objects.filter(client_uuid=client_uuid).first()


def _replayed(existing: CheckIn, patient: User) -> CheckinResult:
    if existing.patient_id != patient.pk:
        raise ClientUuidConflict
    return CheckinResult(checkin=existing, created=False)


@transaction.atomic
def checkin_update(*, checkin: CheckIn, **fields: Any) -> CheckIn:
    unknown = set(fields) - set(CHECKIN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown check-in fields: {sorted(unknown)}")
    recorded_at_changed = "recorded_at" in fields and fields["recorded_at"] != checkin.recorded_at
    merged = {name: getattr(checkin, name) for name in CHECKIN_FIELDS} | fields
    merged = _checked_checkin_fields(merged, now=timezone.now(), recorded_at_changed=recorded_at_changed)
    for name, value in merged.items():
        setattr(checkin, name, value)
    patient = checkin.patient
    patient.timezone = lock_diary(patient)
    checkin.local_date, checkin.part_of_day = local_moment(checkin.recorded_at, patient.timezone)
    # Constraints are left to the database: validating them here costs a query each.
    checkin.full_clean(exclude=["patient", "client_uuid"], validate_unique=False, validate_constraints=False)
    checkin.save()
    flags_refresh(patient=checkin.patient)
    return checkin


@transaction.atomic
def checkin_delete(*, checkin: CheckIn) -> None:
    patient = checkin.patient
    lock_diary(patient)
    checkin.delete()
    flags_refresh(patient=patient)


# --- medicines and doses (API.md 1.1) ------------------------------------


def medicine_create(*, patient: User, name: str, kind: str, strength: str = "", code: str = "") -> Medicine:
    """Add a medicine to a patient's own list. Names are the patient's words, trimmed."""
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients keep a list of medicines."]})
    medicine = Medicine(patient=patient, name=name.strip(), strength=strength.strip(), kind=kind, code=code)
    medicine.full_clean(exclude=["patient"])
    medicine.save()
    # Not re-judged (a medicine without doses changes no flag), so the charts are told themselves.
    charts_changed(patient)
    return medicine


@transaction.atomic
def medicine_update(
    *,
    medicine: Medicine,
    name: str | None = None,
    strength: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> Medicine:
    """Rename, correct or stop a medicine. A change of kind re-judges the flags, which count as-needed doses."""
    old_kind = medicine.kind
    if name is not None:
        medicine.name = name.strip()
    if strength is not None:
        medicine.strength = strength.strip()
    if kind is not None:
        medicine.kind = kind
    if active is not None:
        medicine.active = active
    medicine.full_clean(exclude=["patient"])
    lock_diary(medicine.patient)
    medicine.save()
    if medicine.kind != old_kind:
        flags_refresh(patient=medicine.patient)
    else:
        charts_changed(medicine.patient)
    return medicine


@transaction.atomic
def medicine_delete(*, medicine: Medicine) -> bool:
    """Take a medicine off the list. One with doses in the diary is only marked inactive: the doses keep
    their medicine. Returns whether the row was deleted."""
    lock_diary(medicine.patient)
    if Dose.objects.filter(medicine=medicine).exists():
        medicine.active = False
        medicine.save(update_fields=["active"])
        charts_changed(medicine.patient)
        return False
    medicine.delete()
    charts_changed(medicine.patient)
    return True


@dataclass(frozen=True)
class DoseResult:
    dose: Dose
    created: bool


def dose_create(
    *,
    patient: User,
    client_uuid: UUID,
    medicine_id: int,
    taken_at: datetime,
    amount: str = "",
    reason: str | None = None,
) -> DoseResult:
    """Store a dose once, exactly as checkin_create stores a check-in: the same client_uuid again
    returns the stored dose, another patient's is a conflict, and the flags are re-judged under the
    diary's lock."""
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients keep a diary."]})
    existing = Dose.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return _replayed_dose(existing, patient)
    # id_or_none: a number larger than any row's id is refused as unknown, not sent to the database.
    number = selectors.id_or_none(medicine_id)
    medicine = Medicine.objects.filter(patient=patient, pk=number).first() if number is not None else None
    if medicine is None:
        raise ValidationError({"medicine_id": ["Choose one of your own medicines."]})
    problem = moment_problem(taken_at, now=timezone.now(), what="Doses")
    if problem:
        raise ValidationError({"taken_at": [problem]})
    if reason is None:
        reason = DoseReason.BREAKTHROUGH_PAIN if medicine.kind == MedicineKind.AS_NEEDED else DoseReason.SCHEDULED
    dose = Dose(
        patient=patient, medicine=medicine, client_uuid=client_uuid, taken_at=taken_at, amount=amount, reason=reason
    )
    dose.local_date, dose.part_of_day = local_moment(taken_at, patient.timezone)
    dose.full_clean(exclude=["patient", "medicine", "client_uuid"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            # Date it in the zone the diary has now: a concurrent profile change may have moved it.
            patient.timezone = lock_diary(patient)
            dose.local_date, dose.part_of_day = local_moment(taken_at, patient.timezone)
            dose.save()
            flags_refresh(patient=patient)
    except IntegrityError:
        existing = Dose.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _replayed_dose(existing, patient)
    return DoseResult(dose=dose, created=True)


def _replayed_dose(existing: Dose, patient: User) -> DoseResult:
    if existing.patient_id != patient.pk:
        raise DoseUuidConflict
    return DoseResult(dose=existing, created=False)


@transaction.atomic
def dose_update(*, dose: Dose, relief: str | None) -> Dose:
    """Record how much a dose helped (asked 30–60 minutes after it); the flags read the answer."""
    dose.relief = relief
    dose.full_clean(exclude=["patient", "medicine", "client_uuid"], validate_unique=False)
    lock_diary(dose.patient)
    dose.save(update_fields=["relief", "updated_at"])
    flags_refresh(patient=dose.patient)
    return dose


@transaction.atomic
def dose_delete(*, dose: Dose) -> None:
    patient = dose.patient
    lock_diary(patient)
    dose.delete()
    flags_refresh(patient=patient)


# --- care links ---------------------------------------------------------


@dataclass(frozen=True)
class LinkResult:
    link: CareLink
    created: bool


class ConsentOutdated(Exception):
    """The patient agreed to wording that has changed since: they must read it again."""


def link_create(*, patient: User, invite_code: str, consent_version: str = consent.VERSION) -> LinkResult:
    """Share a patient's diary with the therapist whose invite code this is, recording the patient's consent.

    `consent_version` is the version of the wording the patient was shown (diary/consent.py); the
    API's POST links is consent to the current wording, which its clients show first.
    """
    if not patient.is_patient:
        raise ValidationError({"detail": ["Only patients can share a diary."]})
    if consent_version != consent.VERSION:
        raise ConsentOutdated
    code = normalize_invite_code(invite_code)
    therapist = User.objects.filter(role=Role.THERAPIST, is_active=True, invite_code=code).first() if code else None
    if therapist is None:
        raise InviteCodeNotFound
    active = CareLink.objects.filter(patient=patient, therapist=therapist, ended_at__isnull=True).first()
    if active is not None:
        return LinkResult(link=active, created=False)
    try:
        with transaction.atomic():
            link = CareLink.objects.create(
                patient=patient, therapist=therapist, consent_version=consent_version, consented_at=timezone.now()
            )
    except IntegrityError:
        # Two taps raced; the partial unique constraint kept one active link.
        link = CareLink.objects.get(patient=patient, therapist=therapist, ended_at__isnull=True)
        return LinkResult(link=link, created=False)
    return LinkResult(link=link, created=True)


def link_end(*, link: CareLink, by: User) -> None:
    """End a link; the therapist loses access on their next request. Either side may end it."""
    if by.pk not in (link.patient_id, link.therapist_id):
        raise ValidationError({"detail": ["Only the patient or the therapist of a link can end it."]})
    if link.ended_at is None:
        link.ended_at = timezone.now()
        link.ended_by = by
        link.save(update_fields=["ended_at", "ended_by"])


# --- therapist notes ----------------------------------------------------


def therapist_note_create(*, patient: User, therapist: User, written_on: date, text: str) -> TherapistNote:
    """Add a note about one day to a patient's record, for the therapists linked to them.

    The day is the patient's: "today" is today where they live, and a note cannot be about a day
    that has not begun there yet. Who may is the views' question: they pass only a therapist linked
    to `patient` (the gatekeeper, diary/selectors.py `patient_for`).
    """
    text = text.strip()
    if not text:
        raise ValidationError({"text": ["Write the note before saving it."]}, code="required")
    today = selectors.today_for(patient)
    if written_on > today:
        raise ValidationError(
            {
                "written_on": [
                    f"A note can be about today or an earlier day. It is {today.day} {today:%B %Y} "
                    f"where {patient.name} lives ({patient.timezone})."
                ]
            },
            code="future",
        )
    note = TherapistNote(patient=patient, author=therapist, written_on=written_on, text=text)
    note.full_clean()
    note.save()
    return note


def therapist_note_delete(*, note: TherapistNote, by: User) -> None:
    """Delete a note. Only its author may: the rest of the care team reads it but cannot take it away."""
    if note.author_id is None or note.author_id != by.pk:
        raise PermissionDenied("Only the therapist who wrote a note can delete it.")
    note.delete()


# --- reminders ----------------------------------------------------------


def reminders_update(
    *, patient: User, times: list[str], enabled: bool, missed_nudge: bool, push: bool, email: bool
) -> ReminderSettings:
    """Store a patient's reminder settings. The times are kept sorted, each once."""
    if not patient.is_patient:
        raise PermissionDenied("Only patients have reminders.")
    reminder_settings = selectors.reminder_settings_of(patient)
    reminder_settings.times = sorted(set(times))
    reminder_settings.enabled = enabled
    reminder_settings.missed_nudge = missed_nudge
    reminder_settings.push = push
    reminder_settings.email = email
    reminder_settings.updated_at = timezone.now()
    reminder_settings.full_clean(exclude=["patient"])
    reminder_settings.save()
    return reminder_settings


@dataclass(frozen=True)
class PushSubscriptionResult:
    subscription: PushSubscription
    created: bool


def _push_key(value: str, *, field: str, length: int, what: str) -> str:
    """A browser's key in base64url, stored unpadded; refused unless it decodes to `length` bytes."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length or not re.fullmatch(r"[A-Za-z0-9_-]+=*", value):
        raise ValidationError({field: [f"This is not {what}, base64url-encoded."]})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@transaction.atomic
def push_subscription_save(*, patient: User, endpoint: str, p256dh: str, auth: str) -> PushSubscriptionResult:
    """Remember a phone's push subscription for this patient.

    The same endpoint again from the same patient changes nothing (the keys are refreshed). An
    endpoint another account holds moves to this patient: the phone is now theirs, and the
    previous account's reminders must not reach it.
    """
    if not patient.is_patient:
        raise PermissionDenied("Only patients have reminders.")
    try:
        push.check_endpoint(endpoint)
    except ValidationError as error:
        raise ValidationError({"endpoint": error.messages}) from None
    p256dh = _push_key(p256dh, field="keys", length=65, what="a P-256 public key (p256dh)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), base64.urlsafe_b64decode(p256dh + "="))
    except ValueError:
        raise ValidationError({"keys": ["The p256dh key is not a point on the P-256 curve."]}) from None
    auth = _push_key(auth, field="keys", length=16, what="a 16-byte auth secret")
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if existing is None:
        try:
            with transaction.atomic():
                created = PushSubscription.objects.create(patient=patient, endpoint=endpoint, p256dh=p256dh, auth=auth)
            return PushSubscriptionResult(created, created=True)
        except IntegrityError:
            # Another request stored the same endpoint a moment ago: take that row.
            existing = PushSubscription.objects.select_for_update().get(endpoint=endpoint)
    moved = existing.patient_id != patient.pk
    existing.p256dh, existing.auth = p256dh, auth
    if moved:
        existing.patient = patient
        existing.created_at = timezone.now()
        existing.last_success_at = existing.last_failure_at = existing.last_failure_status = None
        existing.failure_count = 0
    existing.save()
    return PushSubscriptionResult(existing, created=moved)


def push_subscription_delete(*, subscription: PushSubscription) -> None:
    """Forget a phone: no more reminders are sent to it."""
    subscription.delete()
