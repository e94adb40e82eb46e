"""The diary's data: people, their check-ins, and who may see them."""

from __future__ import annotations

import re
import uuid
from functools import cache
from typing import ClassVar
from zoneinfo import available_timezones

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.utils.timezone import now

from diary import limits
from diary.invite_codes import new_invite_code


@cache
def _timezones() -> frozenset[str]:
    # available_timezones() walks the tz database on every call. "localtime" and "Factory"
    # are files of some systems' databases, not places; a patient's zone must exist everywhere.
    return frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}


def validate_timezone(value: str) -> None:
    """Accept only names from the IANA database ("Europe/London"), not offsets or abbreviations."""
    if value not in _timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name, such as Europe/London.", code="invalid")


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    THERAPIST = "therapist", "Therapist"
    # The clinic's administrators (createsuperuser): the admin's accounts, care links and invite
    # codes, and nobody's diary.
    STAFF = "staff", "Clinic staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        # Staff, not a therapist: an administrator reads no diary (SECURITY.md, "What the admin may see").
        fields.setdefault("role", Role.STAFF)
        if fields["role"] == Role.THERAPIST:
            fields.setdefault("invite_code", new_invite_code())
        return self.create_user(email, password, **fields)


class WeightUnit(models.TextChoices):
    """How a patient reads and writes their weight. It is always stored, exported and sent in kg (diary/units.py)."""

    KG = "kg", "Kilograms (kg)"
    LB = "lb", "Pounds (lb)"


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a patient keeping a diary, a therapist reading them, or the clinic's staff (the admin)."""

    email = models.EmailField(unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    display_name = models.CharField(max_length=80, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Patients only: the day physical therapy began, for "pain not improving with therapy".
    therapy_started_on = models.DateField(null=True, blank=True)
    # Patients only: the unit their pages show weight in; check-ins store kg whatever it is.
    weight_unit = models.CharField(max_length=2, choices=WeightUnit.choices, default=WeightUnit.KG)
    # Therapists only: the code a patient types to share their diary. Rotating it
    # stops new links; existing links stay until either side ends them.
    invite_code = models.CharField(max_length=16, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Signed up, but the emailed link has not been followed yet (diary/signup.py): such an account
    # is also inactive, so nothing signs it in, and it is not yet anyone's account to be told about.
    signup_pending = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role="therapist", invite_code__isnull=False)
                | Q(role__in=["patient", "staff"], invite_code__isnull=True),
                name="user_invite_code_iff_therapist",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == Role.THERAPIST

    @property
    def name(self) -> str:
        """What to call this person on screen: their chosen name, else the part of the email before the @."""
        return self.display_name or self.email.split("@", 1)[0]


class PartOfDay(models.TextChoices):
    NIGHT = "night", "Night"
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"


class MovementEffect(models.TextChoices):
    WORSE = "worse", "Moving makes it worse"
    NO_CHANGE = "no_change", "Moving makes no difference"
    BETTER = "better", "Moving makes it better"


class RestHelped(models.TextChoices):
    YES = "yes", "Yes"
    SOMEWHAT = "somewhat", "Somewhat"
    NO = "no", "No"


class PainLocation(models.TextChoices):
    LOWER_BACK = "lower_back", "Lower back"
    MID_BACK = "mid_back", "Middle of the back"
    UPPER_BACK = "upper_back", "Upper back"
    NECK = "neck", "Neck"
    HIP_BUTTOCK = "hip_buttock", "Hip or buttock"
    LEG_LEFT = "leg_left", "Left leg"
    LEG_RIGHT = "leg_right", "Right leg"
    ARM_LEFT = "arm_left", "Left arm"
    ARM_RIGHT = "arm_right", "Right arm"
    CHEST_ABDOMEN = "chest_abdomen", "Chest or belly"
    OTHER = "other", "Somewhere else"


class Symptom(models.TextChoices):
    LIMB_WEAKNESS = "limb_weakness", "Arms or legs weak or heavy"
    DIFFICULTY_WALKING = "difficulty_walking", "Difficulty walking"
    LIMB_NUMBNESS_TINGLING = "limb_numbness_tingling", "Numbness or tingling in arms or legs"
    SADDLE_NUMBNESS = "saddle_numbness", "Numb between the legs or buttocks"
    BLADDER_CONTROL_LOSS = "bladder_control_loss", "Leaking urine, or unable to pass urine"
    BOWEL_CONTROL_LOSS = "bowel_control_loss", "Cannot control my bowels"
    URINARY_CHANGE = "urinary_change", "Change in passing urine"
    BOWEL_CHANGE = "bowel_change", "Change in bowel habits"
    BLOOD_IN_URINE = "blood_in_urine", "Blood in urine"
    BLOOD_IN_STOOL = "blood_in_stool", "Blood in stool"
    NIGHT_SWEATS = "night_sweats", "Heavy sweating at night"
    UNEXPLAINED_WEIGHT_LOSS = "unexplained_weight_loss", "Losing weight without trying"
    PAIN_WORSE_STRAINING = "pain_worse_straining", "Pain worse when coughing, sneezing or straining"
    BAND_LIKE_PAIN = "band_like_pain", "A band of pain around chest or belly"
    DIFFICULTY_SLEEPING = "difficulty_sleeping", "Difficulty sleeping"
    SHORTNESS_OF_BREATH = "shortness_of_breath", "Short of breath"
    COUGHING_BLOOD = "coughing_blood", "Coughing up blood"
    NAUSEA = "nausea", "Feeling sick (nausea)"


# The answers a check-in may carry, the one list the services, the exports, the API's serializers
# and the page's form are held to (tests/test_vocabulary.py). A check-in needs at least one of the
# reportable ones.
CHECKIN_FIELDS = (
    "recorded_at",
    "pain",
    "pain_locations",
    "movement_effect",
    "fatigue",
    "rest_helped",
    "sleep_hours",
    "woke_from_pain",
    "weight_kg",
    "exercise_minutes",
    "symptoms",
    "notes",
)
REPORTABLE_FIELDS = ("pain", "fatigue", "symptoms", "weight_kg", "sleep_hours")
NOTHING_REPORTED = "Report at least one of pain, tiredness, a symptom, weight or sleep."


# The same ranges (diary/limits.py) stand twice: as validators, so full_clean() explains a bad
# value without a database round trip, and as CheckConstraints, so no path can store one.


class CheckIn(models.Model):
    """One moment's report from a patient. Several a day are normal."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="checkins")
    # Made on the device when the check-in is started: the idempotency key that
    # stops a retried or replayed offline send from creating a second row.
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    recorded_at = models.DateTimeField()
    # Both derived from recorded_at in the patient's zone when the row is written,
    # so "a patient's day" is an indexed column, not a per-query time-zone calculation.
    local_date = models.DateField()
    part_of_day = models.CharField(max_length=16, choices=PartOfDay.choices)

    pain = models.PositiveSmallIntegerField(null=True, blank=True, validators=limits.PAIN.validators())
    pain_locations = models.JSONField(default=list, blank=True)
    movement_effect = models.CharField(max_length=16, choices=MovementEffect.choices, null=True, blank=True)
    fatigue = models.PositiveSmallIntegerField(null=True, blank=True, validators=limits.FATIGUE.validators())
    rest_helped = models.CharField(max_length=16, choices=RestHelped.choices, null=True, blank=True)
    sleep_hours = models.FloatField(null=True, blank=True, validators=limits.SLEEP_HOURS.validators())
    woke_from_pain = models.BooleanField(null=True, blank=True)
    weight_kg = models.FloatField(null=True, blank=True, validators=limits.WEIGHT_KG.validators())
    exercise_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=limits.EXERCISE_MINUTES.validators()
    )
    symptoms = models.JSONField(default=list, blank=True)
    notes = models.TextField(max_length=limits.NOTES_MAX_LENGTH, blank=True, validators=limits.notes_validators())
    # The codes of the emergency and urgent flags that this check-in made news (diary/flag_policy.py),
    # kept so that a replay of the check-in answers the same as its first send.
    new_alerts = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-recorded_at"], name="checkin_patient_time"),
            models.Index(fields=["patient", "local_date"], name="checkin_patient_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=limits.PAIN.condition("pain"), name="checkin_pain_0_10"),
            models.CheckConstraint(condition=limits.FATIGUE.condition("fatigue"), name="checkin_fatigue_0_10"),
            models.CheckConstraint(condition=limits.SLEEP_HOURS.condition("sleep_hours"), name="checkin_sleep_0_24"),
            models.CheckConstraint(condition=limits.WEIGHT_KG.condition("weight_kg"), name="checkin_weight_20_400"),
            models.CheckConstraint(
                condition=limits.EXERCISE_MINUTES.condition("exercise_minutes"), name="checkin_exercise_0_1440"
            ),
            models.CheckConstraint(condition=Q(part_of_day__in=PartOfDay.values), name="checkin_part_of_day_valid"),
            models.CheckConstraint(
                condition=Q(movement_effect__isnull=True) | Q(movement_effect__in=MovementEffect.values),
                name="checkin_movement_effect_valid",
            ),
            models.CheckConstraint(
                condition=Q(rest_helped__isnull=True) | Q(rest_helped__in=RestHelped.values),
                name="checkin_rest_helped_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} at {self.recorded_at:%Y-%m-%d %H:%M}"


class CareLink(models.Model):
    """A patient sharing their diary with a therapist, from created_at until ended_at."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="links_as_patient")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="links_as_therapist")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The wording the patient agreed to (diary/consent.py) and when; blank for links made before consent was asked.
    consent_version = models.CharField(max_length=32, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "therapist"],
                condition=Q(ended_at__isnull=True),
                name="carelink_one_active_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["therapist", "ended_at"], name="carelink_therapist_active")]

    def __str__(self) -> str:
        return f"{self.patient} → {self.therapist}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class FlagLevel(models.TextChoices):
    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    REVIEW = "review", "Review"
    INFO = "info", "Info"


class FlagState(models.Model):
    """The trend module's last answer for one patient.

    Kept so that a therapist's list of 200 patients needs no re-evaluation. It is
    rewritten in the same transaction as every write that changes the diary, and
    again on the first read after the patient's day has turned (windows slide).
    """

    patient = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="flag_state")
    as_of = models.DateField()
    flags = models.JSONField(default=list)
    not_enough_data = models.JSONField(default=list)
    # The most severe level among the flags, and its rank (0 = emergency) for ordering lists.
    top_level = models.CharField(max_length=16, choices=FlagLevel.choices, null=True, blank=True)
    top_rank = models.PositiveSmallIntegerField(default=len(FlagLevel))
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Flags of {self.patient} as of {self.as_of}"


class FlagAcknowledgement(models.Model):
    """A therapist saw a flag and noted what they did. It covers the evidence it saw, and no more."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flag_acknowledgements")
    code = models.CharField(max_length=64)
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=now)
    note = models.TextField(max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])
    # What the flag showed when it was acknowledged: evidence that is worse or different raises it again.
    # The check-ins behind it, and the doses behind a medicine flag (whose check-ins are none).
    checkin_ids = models.JSONField(default=list, blank=True)
    dose_ids = models.JSONField(default=list, blank=True)
    level = models.CharField(max_length=16, choices=FlagLevel.choices, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    peak = models.PositiveSmallIntegerField(null=True, blank=True)
    # Raised again when this date (in the patient's calendar) has passed and the flag still holds.
    # Null only for acknowledgements made before version 1.1, which covered exactly their check-ins.
    follow_up_on = models.DateField(null=True, blank=True)
    # The note is shown to the patient only if the therapist chose to share it.
    share_with_patient = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "code", "-at"], name="flagack_patient_code_at")]

    def __str__(self) -> str:
        return f"{self.code} for {self.patient} acknowledged by {self.therapist}"


NOTE_MAX_LENGTH = 2000


class TherapistNote(models.Model):
    """A therapist's dated note on a patient's record: for the patient's care team, never shown to the patient."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="therapist_notes")
    # A therapist who erases their account leaves the note behind, signed "a former therapist":
    # the rest of the care team may still need what it says.
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    # The day the note is about, in the patient's calendar; the therapist picks it.
    written_on = models.DateField()
    text = models.TextField(max_length=NOTE_MAX_LENGTH, validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_on", "-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-written_on"], name="therapistnote_patient_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(GreaterThan(Length("text"), 0)) & Q(LessThanOrEqual(Length("text"), NOTE_MAX_LENGTH)),
                name="therapistnote_text_1_2000",
            ),
        ]

    def __str__(self) -> str:
        return f"Note on {self.written_on} about {self.patient}"


class AppendOnly(Exception):
    """The access audit is never changed or deleted through the app."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One access to a patient's diary, or one security event (sign-in, link, export, erasure): append-only.

    People are kept as plain ids, not foreign keys, so no later change (an account erased, a
    link ended) ever updates a row; the database refuses updates too (migration 0004). No names
    and no free text: names are looked up when the audit is read (diary/audit.py), so an erased
    account is "account 17" everywhere at once, and what was opened is the URL's name and the id
    of the object it named, never the path (a flag's code is health data; a path is the caller's
    text). No health data.
    """

    at = models.DateTimeField(default=now, db_index=True)
    actor_user_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    patient_user_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)  # a URL's name ("frontend:patient_detail") or "auth:login_failed"...
    method = models.CharField(max_length=8, blank=True)
    # The id the URL named besides the patient (a check-in, a link, a note), if any.
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    allowed = models.BooleanField()
    status = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_user_id", "-at"], name="auditevent_patient_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} account {self.actor_user_id or '-'} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Audit events cannot be deleted.")


class SessionRecord(models.Model):
    """One signed-in session, so that a person can see where they are signed in and end those sessions.

    The session itself is Django's (django_session); this row names it for its owner. Rows of
    sessions that have ended are pruned when the owner next looks (diary/sessions.py).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


# --- reminders (API.md 1.1) -------------------------------------------------

REMINDER_TIMES_MAX = 4
# What a new patient is offered: one evening time, the most common practice for daily diaries.
SUGGESTED_REMINDER_TIME = "20:00"
PUSH_ENDPOINT_MAX_LENGTH = 1024
_HH_MM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


def validate_reminder_times(value: object) -> None:
    """At most four times a day, each a local "HH:MM" (24-hour clock) in the patient's own zone."""
    if not isinstance(value, list):
        raise ValidationError('Give the times as a list, like ["08:00", "20:00"].', code="not_a_list")
    bad = [item for item in value if not isinstance(item, str) or not _HH_MM.fullmatch(item)]
    if bad:
        shown = ", ".join(repr(item) for item in bad)
        raise ValidationError(
            f"Each time must be a time of day written HH:MM on the 24-hour clock, like 08:30 or 20:00: not {shown}.",
            # Not "invalid": JSONField would put its own message ("Value must be valid JSON") in its place.
            code="invalid_time",
        )
    if len(set(value)) > REMINDER_TIMES_MAX:
        raise ValidationError(f"Choose at most {REMINDER_TIMES_MAX} times a day.", code="too_many")


class ReminderSettings(models.Model):
    """When and how a patient wants to be reminded to check in. One row per patient, made at sign-up.

    The times are local times of the patient's own zone (User.timezone), so "20:00" stays the
    evening through a change of clocks or a journey.
    """

    patient = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="reminder_settings")
    times = models.JSONField(default=list, blank=True, validators=[validate_reminder_times])
    enabled = models.BooleanField(default=False)
    # "Nudge me if I have not checked in for 2 days."
    missed_nudge = models.BooleanField(default=False)
    # The channels: push to the phones this patient subscribed, and email.
    push = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"Reminders {state} for {self.patient}"


class PushSubscription(models.Model):
    """A browser's push subscription: where to send a patient's reminders on one phone.

    The endpoint is a push service's URL (checked against PUSH_SERVICE_HOSTS, diary/push.py);
    p256dh and auth are the browser's keys that encrypt each message for that phone only.
    """

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.CharField(max_length=PUSH_ENDPOINT_MAX_LENGTH, unique=True)
    # Base64url, unpadded: a P-256 public key (65 bytes → 87 characters) and a 16-byte secret (22).
    p256dh = models.CharField(max_length=87)
    auth = models.CharField(max_length=22)
    created_at = models.DateTimeField(default=now)
    # For the sender (not built yet): a push service answering 404/410 removes the row; other
    # failures count up, and a success resets the count.
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_status = models.PositiveSmallIntegerField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(endpoint__startswith="https://") | Q(endpoint__startswith="http://"),
                name="push_subscription_endpoint_is_http",
            ),
            # The keys' lengths; their alphabet and meaning are checked where they come in (services).
            models.CheckConstraint(condition=Q(Exact(Length("p256dh"), 87)), name="push_subscription_p256dh_length"),
            models.CheckConstraint(condition=Q(Exact(Length("auth"), 22)), name="push_subscription_auth_length"),
        ]

    def __str__(self) -> str:
        return f"Push subscription {self.pk} of {self.patient}"


class DeliveryKind(models.TextChoices):
    REMINDER = "reminder", "Reminder at a chosen time"
    MISSED_NUDGE = "missed_nudge", "Nudge after missed days"
    TEST = "test", "Test asked for on the settings page"
    RELIEF_QUESTION = "relief_question", "Did an as-needed dose help?"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Due, not yet taken by a sender"
    SENDING = "sending", "Taken by a sender"
    RETRY = "retry", "To try again (the push service asked to wait)"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (checked in just before, or reminders turned off)"
    MISSED = "missed", "Missed (the sender was stopped for 30 minutes or more)"
    FAILED = "failed", "Failed"


class ReminderDelivery(models.Model):
    """One reminder due to one patient: the record that makes "sent once" hold (API.md 1.1).

    The unique key is the patient, the kind, and the local date and time the reminder is for. The
    scheduler creates the row (a second run, or a second worker, finds it taken), and a sender sends
    only after moving it from pending to sending in one UPDATE, which exactly one of them wins.
    A missed-days nudge is keyed by the date it is due and midnight, so it goes once per spell.
    A relief question ("did it help?") is keyed by the local moment it is due and names its dose,
    so it goes once per dose, and goes with the dose when the dose is deleted.
    """

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminder_deliveries")
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices, default=DeliveryKind.REMINDER)
    local_date = models.DateField()
    local_time = models.TimeField()
    # The UTC instant it was due: the local time on the local date, in the patient's zone then.
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # What reached the patient: "push", "email", "push+email", or "" for nothing.
    channel = models.CharField(max_length=16, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The subscriptions that accepted this reminder, so a retry does not send it to them again.
    sent_to = models.JSONField(default=list, blank=True)
    emailed = models.BooleanField(default=False)
    # The as-needed dose a relief question asks about; null for every other kind.
    dose = models.ForeignKey("Dose", on_delete=models.CASCADE, null=True, blank=True, related_name="relief_questions")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "local_date", "local_time"], name="reminder_delivery_once"
            ),
            models.UniqueConstraint(fields=["dose"], condition=Q(dose__isnull=False), name="relief_question_once"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_delivery_due")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.patient_id} on {self.local_date} {self.local_time}: {self.status}"


class ScheduledRun(models.Model):
    """A periodic job the scheduler enqueued for a date: the nightly refresh_flags goes once a night,
    however many schedulers run (the unique key makes the second one's insert fail)."""

    job = models.CharField(max_length=64)
    for_date = models.DateField()
    enqueued_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "for_date"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.job} for {self.for_date}"


# --- medicines and doses (API.md 1.1) ------------------------------------------


class MedicineKind(models.TextChoices):
    REGULAR = "regular", "Taken on a schedule"
    AS_NEEDED = "as_needed", "Taken when needed"


class DoseReason(models.TextChoices):
    BREAKTHROUGH_PAIN = "breakthrough_pain", "Breakthrough pain"
    SCHEDULED = "scheduled", "Scheduled dose"
    OTHER = "other", "Other"


class Relief(models.TextChoices):
    NONE = "none", "Not at all"
    SOME = "some", "A little"
    GOOD = "good", "Quite a lot"
    COMPLETE = "complete", "Completely"


class Medicine(models.Model):
    """A medicine on the patient's own list, in their own words ("oxycodone", "5 mg").

    Free text on purpose: no medical dictionary is needed to keep a diary. `code` is left open
    for an RxNorm or national code, should one be chosen later.
    """

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="medicines")
    name = models.CharField(max_length=limits.MEDICINE_NAME_MAX_LENGTH)
    strength = models.CharField(max_length=limits.MEDICINE_STRENGTH_MAX_LENGTH, blank=True)
    kind = models.CharField(max_length=16, choices=MedicineKind.choices)
    # Stopped medicines stay on the list (inactive) while doses of them are in the diary.
    active = models.BooleanField(default=True)
    code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-active", "name", "id"]
        indexes = [models.Index(fields=["patient", "-active", "name"], name="medicine_patient_list")]
        constraints = [
            models.CheckConstraint(
                condition=Q(GreaterThan(Length("name"), 0))
                & Q(LessThanOrEqual(Length("name"), limits.MEDICINE_NAME_MAX_LENGTH)),
                name="medicine_name_1_100",
            ),
            models.CheckConstraint(
                condition=Q(LessThanOrEqual(Length("strength"), limits.MEDICINE_STRENGTH_MAX_LENGTH)),
                name="medicine_strength_at_most_50",
            ),
            models.CheckConstraint(condition=Q(kind__in=MedicineKind.values), name="medicine_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The medicine as a clinician reads it: "oxycodone 5 mg"."""
        return f"{self.name} {self.strength}".strip()


class Dose(models.Model):
    """One dose of a medicine taken, and (asked later) how much it helped.

    Idempotent on client_uuid like a check-in, and dated like one: local_date and part_of_day
    are taken_at in the patient's zone, rewritten when the zone changes.
    """

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="doses")
    # RESTRICT: a medicine with doses is marked inactive, never deleted, except with its patient.
    medicine = models.ForeignKey(Medicine, on_delete=models.RESTRICT, related_name="doses")
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    taken_at = models.DateTimeField()
    local_date = models.DateField()
    part_of_day = models.CharField(max_length=16, choices=PartOfDay.choices)
    amount = models.CharField(max_length=limits.DOSE_AMOUNT_MAX_LENGTH, blank=True)
    reason = models.CharField(max_length=32, choices=DoseReason.choices)
    relief = models.CharField(max_length=16, choices=Relief.choices, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-taken_at"], name="dose_patient_time"),
            models.Index(fields=["patient", "local_date"], name="dose_patient_day"),
            # The scheduler's relief questions (diary/reminders.py): the last hours' unanswered doses, every minute.
            models.Index(fields=["taken_at"], condition=Q(relief__isnull=True), name="dose_unanswered_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(LessThanOrEqual(Length("amount"), limits.DOSE_AMOUNT_MAX_LENGTH)),
                name="dose_amount_at_most_50",
            ),
            models.CheckConstraint(condition=Q(reason__in=DoseReason.values), name="dose_reason_valid"),
            models.CheckConstraint(
                condition=Q(relief__isnull=True) | Q(relief__in=Relief.values), name="dose_relief_valid"
            ),
            models.CheckConstraint(condition=Q(part_of_day__in=PartOfDay.values), name="dose_part_of_day_valid"),
        ]

    def __str__(self) -> str:
        return f"Dose {self.pk} at {self.taken_at:%Y-%m-%d %H:%M}"
