"""manage.py seed_demo: a demo clinic with six weeks of believable diaries.

Safe to run again: people are found by email, medicines by patient and name, and each
check-in and dose has a client_uuid derived from the patient and the slot, so a second run
adds only the slots that have come due since the first (services.checkin_create and
medication.dose_create return stored rows).
"""

from __future__ import annotations

import random
import uuid
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from diary import medication, mfa, services
from diary.invite_codes import format_invite_code
from diary.models import Medicine, Role, User

DEMO_PASSWORD = "calm-river-diary-42"  # noqa: S105 - printed for the demo on purpose
THERAPIST_EMAIL = "therapist@example.org"
# The demo therapist's authenticator key (20 bytes) and recovery codes: public, for the demo only.
DEMO_TOTP_KEY_HEX = "64656d6f2d636c696e69632d6b65792d31323334"
DEMO_TOTP_KEY_BASE32 = b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()
DEMO_RECOVERY_CODES = ("demo1111", "demo2222", "demo3333", "demo4444", "demo5555")
DAYS = 42

# (part of day, local time) for the check-ins a patient may make on a day.
NIGHT = ("night", time(3, 10))
MORNING = ("morning", time(7, 30))
EVENING = ("evening", time(20, 0))

Fields = dict[str, Any]
Diary = Callable[[int, str, random.Random], Fields | None]


def clamp(value: float, low: int = 0, high: int = 10) -> int:
    return max(low, min(high, round(value)))


def night_pain(day: int, slot: str, rng: random.Random) -> Fields | None:
    """Pain worst at night and on waking, easing by evening; moving makes no difference."""
    worse = day / DAYS  # slowly worsening over the six weeks
    if slot == "night":
        if rng.random() > 0.35:
            return None
        return {
            "pain": clamp(6 + 2 * worse + rng.uniform(-1, 1)),
            "movement_effect": "no_change",
            "pain_locations": ["lower_back", "mid_back"],
        }
    if slot == "morning":
        woke = rng.random() < 0.45 + 0.3 * worse
        fields = {
            "pain": clamp(6 + 1.5 * worse + rng.uniform(-1, 1)),
            "pain_locations": ["lower_back", "mid_back"],
            "movement_effect": "no_change",
            "fatigue": clamp(5 + rng.uniform(-1, 1)),
            "rest_helped": "somewhat",
            "sleep_hours": round(rng.uniform(4.5, 6.5) * 2) / 2,
            "woke_from_pain": woke,
            "symptoms": ["difficulty_sleeping"] if woke and rng.random() < 0.5 else [],
        }
        if day % 7 == 0:
            fields["weight_kg"] = round(61.0 + rng.uniform(-0.3, 0.3), 1)
        return fields
    return {
        "pain": clamp(2.5 + rng.uniform(-1, 1)),
        "pain_locations": ["lower_back"],
        "movement_effect": "no_change" if rng.random() < 0.8 else "better",
        "fatigue": clamp(4 + rng.uniform(-1, 1)),
        "exercise_minutes": rng.choice([0, 10, 15]),
        "notes": rng.choice(["", "", "Eased off after lunch.", "Fine this evening, the night is the hard part."]),
    }


def mechanical(day: int, slot: str, rng: random.Random) -> Fields | None:
    """Ordinary mechanical back pain: low on waking, worse after activity, rest helps, improving with therapy."""
    if slot == "night":
        return None
    better = day / DAYS * 3  # improves as the exercise programme goes on
    if slot == "morning":
        fields: Fields = {
            "pain": clamp(1.5 - better / 2 + rng.uniform(-0.5, 1)),
            "pain_locations": ["lower_back"],
            "movement_effect": "worse",
            "fatigue": clamp(2 + rng.uniform(-1, 1)),
            "rest_helped": "yes",
            "sleep_hours": round(rng.uniform(6.5, 8) * 2) / 2,
            "woke_from_pain": False,
        }
        if day % 7 == 3:
            fields["weight_kg"] = round(84.0 + rng.uniform(-0.4, 0.4), 1)
        return fields
    return {
        "pain": clamp(5 - better + rng.uniform(-1, 1)),
        "pain_locations": ["lower_back", "hip_buttock"] if rng.random() < 0.3 else ["lower_back"],
        "movement_effect": "worse",
        "fatigue": clamp(3.5 + rng.uniform(-1, 1)),
        "rest_helped": "yes",
        "exercise_minutes": rng.choice([20, 25, 30, 30]),
        "notes": rng.choice(
            ["", "", "Sore after gardening.", "Long day at work, back stiff.", "Did all my exercises."]
        ),
    }


def fatigue_not_relieved(day: int, slot: str, rng: random.Random) -> Fields | None:
    """Tiredness of 6–8 that a full night's sleep does not fix; mild pain."""
    if slot == "night":
        return None
    if slot == "morning":
        fields: Fields = {
            "pain": clamp(2.5 + rng.uniform(-1, 1)),
            "pain_locations": ["upper_back"],
            "movement_effect": rng.choice(["better", "worse", None]),
            "fatigue": clamp(6.5 + rng.uniform(-1, 1.5)),
            "rest_helped": "no",
            "sleep_hours": round(rng.uniform(8, 9.5) * 2) / 2,
            "woke_from_pain": False,
        }
        if day % 7 == 1:
            fields["weight_kg"] = round(67.0 + rng.uniform(-0.4, 0.4), 1)
        return fields
    return {
        "pain": clamp(3 + rng.uniform(-1, 1)),
        "fatigue": clamp(7.5 + rng.uniform(-1, 1)),
        "rest_helped": "no",
        "exercise_minutes": rng.choice([0, 0, 10]),
        "notes": rng.choice(["", "", "Had to lie down twice today.", "Slept 9 hours and still exhausted."]),
    }


def weight_loss(day: int, slot: str, rng: random.Random) -> Fields | None:
    """About 8% of body weight lost over six weeks without trying; moderate steady pain."""
    if slot == "night":
        return None
    if slot == "morning":
        fields: Fields = {
            "pain": clamp(3.5 + rng.uniform(-1, 1)),
            "pain_locations": ["lower_back"],
            "movement_effect": rng.choice(["worse", "no_change"]),
            "fatigue": clamp(3 + rng.uniform(-1, 1)),
            "rest_helped": "somewhat",
            "sleep_hours": round(rng.uniform(6, 6.5) * 2) / 2,
        }
        if day % 3 == 0:
            fields["weight_kg"] = round(78.0 - 6.5 * day / DAYS + rng.uniform(-0.3, 0.3), 1)
        if day >= DAYS - 10 and rng.random() < 0.3:
            fields["symptoms"] = ["unexplained_weight_loss"]
        return fields
    return {
        "pain": clamp(3.5 + rng.uniform(-1, 1)),
        "fatigue": clamp(3.5 + rng.uniform(-1, 1)),
        "exercise_minutes": rng.choice([0, 15, 20]),
        "notes": rng.choice(["", "", "Not hungry again.", "Clothes feel loose."]),
    }


def cord_compression(day: int, slot: str, rng: random.Random) -> Fields | None:
    """Weeks of numbness and tingling after chemotherapy, then legs weak and walking hard in the last two days."""
    if slot == "night":
        return None
    recent = day >= DAYS - 2
    symptoms = ["limb_numbness_tingling"] if rng.random() < 0.6 else []
    if recent:
        symptoms += ["limb_weakness", "difficulty_walking"]
    if slot == "morning":
        return {
            "pain": clamp(4 + (1.5 if recent else 0) + rng.uniform(-1, 1)),
            "pain_locations": ["mid_back", "leg_left", "leg_right"] if recent else ["mid_back"],
            "movement_effect": rng.choice(["worse", "better"]),
            "fatigue": clamp(3 + rng.uniform(-1, 1)),
            "rest_helped": "yes",
            "sleep_hours": round(rng.uniform(6, 6.5) * 2) / 2,
            "symptoms": symptoms,
            "notes": "Legs gave way on the stairs." if recent else "",
        }
    return {
        "pain": clamp(3.5 + rng.uniform(-1, 1)),
        "movement_effect": rng.choice(["worse", "better"]),
        "fatigue": clamp(3 + rng.uniform(-1, 1)),
        "rest_helped": "yes",
        "symptoms": symptoms,
    }


def stopped_checking_in(day: int, slot: str, rng: random.Random) -> Fields | None:
    """Mild mechanical pain, well managed, and no check-ins for the last five days."""
    if day >= DAYS - 5:
        return None
    return mechanical(day, slot, rng)


# --- medicines (API.md 1.1) ---------------------------------------------------------------------
# Each demo medicine: (name, strength, kind), and a function of the day (0 = six weeks ago) giving
# the local times of that day's doses and the relief each brought.
DoseDay = Callable[[int, random.Random], list[tuple[time, str | None]]]
DOSE_TIMES = (time(2, 30), time(10, 30), time(14, 0), time(17, 30), time(21, 30))


def maria_breakthrough(day: int, rng: random.Random) -> list[tuple[time, str | None]]:
    """More and more breakthrough doses as her night pain worsens: 1 a day, 2 from week 4, 3 from
    day 35, then 4–5 a day in the last three days (rescue_doses_rising from about day 39,
    rescue_doses_high from day 40). They still help somewhat."""
    count = 1 if day < 21 else 2 if day < 35 else 3 if day < 39 else 4 + (day % 2)
    return [(at, rng.choice(["some", "some", "good", "none"])) for at in DOSE_TIMES[:count]]


def maria_regular(day: int, rng: random.Random) -> list[tuple[time, str | None]]:
    """Her background morphine twice a day: logged, never counted as breakthrough doses."""
    return [(time(8, 0), None), (time(20, 0), None)]


def james_as_needed(day: int, rng: random.Random) -> list[tuple[time, str | None]]:
    """Ibuprofen for his back: 3 a day before therapy, falling to about 1 a day as it goes on (raises nothing)."""
    started = DAYS - 7 * 5  # five weeks ago, as his therapy start date says
    if day < started:
        count = 3
    elif day < started + 14:
        count = 2
    else:
        count = 1 if rng.random() < 0.6 else 0
    return [(at, rng.choice(["good", "good", "complete", "some"])) for at in DOSE_TIMES[1 : 1 + count]]


DEMO_MEDICINES: dict[str, list[tuple[str, str, str, DoseDay]]] = {
    "maria@example.org": [
        ("morphine sulfate MR", "10 mg", "regular", maria_regular),
        ("oxycodone", "5 mg", "as_needed", maria_breakthrough),
    ],
    "james@example.org": [("ibuprofen", "400 mg", "as_needed", james_as_needed)],
}


@dataclass(frozen=True)
class DemoPatient:
    email: str
    name: str
    zone: str
    pattern: str
    diary: Diary
    therapy_weeks_ago: int | None


PATIENTS = [
    DemoPatient(
        "maria@example.org",
        "Maria Lopez",
        "Pacific/Auckland",
        "pain worst at night and on waking, easing by evening",
        night_pain,
        5,
    ),
    DemoPatient(
        "james@example.org",
        "James Carter",
        "Europe/London",
        "ordinary mechanical back pain that movement worsens",
        mechanical,
        5,
    ),
    DemoPatient(
        "priya@example.org",
        "Priya Shah",
        "America/New_York",
        "tiredness that rest does not relieve",
        fatigue_not_relieved,
        None,
    ),
    DemoPatient(
        "tom@example.org", "Tom Becker", "America/Los_Angeles", "losing weight without trying", weight_loss, None
    ),
    DemoPatient(
        "grace@example.org",
        "Grace Kim",
        "Australia/Sydney",
        "weak legs and difficulty walking in the last two days (emergency), after weeks of numb feet",
        cord_compression,
        None,
    ),
    DemoPatient(
        "leo@example.org",
        "Leo Martin",
        "Europe/Paris",
        "mild back pain, and no check-ins for five days",
        stopped_checking_in,
        None,
    ),
]

# Each demo patient's reminders (times in their own zone, on/off, the missed-day nudge), so the
# settings page and, later, the sender have something to show. Tom has left them off.
DEMO_REMINDERS: dict[str, tuple[list[str], bool, bool]] = {
    "maria@example.org": (["09:00", "20:00"], True, False),
    "james@example.org": (["20:00"], True, False),
    "priya@example.org": (["08:30", "13:00", "20:30"], True, True),
    "tom@example.org": (["20:00"], False, False),
    "grace@example.org": (["19:00"], True, True),
    "leo@example.org": (["20:00"], True, True),
}

# One demo patient also gets a reminder a few minutes after seeding, to see the worker send it.
SOON_REMINDED = "james@example.org"
SOON_AFTER = timedelta(minutes=3)


class Command(BaseCommand):
    help = "Load a demo clinic: one therapist and six patients with six weeks of check-ins each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Seed even though DEBUG is off (a staging copy, never a real clinic).",
        )

    @transaction.atomic
    def handle(self, *args: Any, not_production: bool = False, **options: Any) -> None:
        # The demo password, authenticator key and recovery codes are printed here and in the
        # source: on a real clinic's server they would be a way in for anyone who reads either.
        if not settings.DEBUG and not not_production:
            raise CommandError(
                "seed_demo installs accounts with a public password and second step; it runs only with DEBUG on, "
                "or with --i-know-this-is-not-production on a server that is not a real clinic."
            )
        therapist = self._therapist()
        now = timezone.now()
        for demo in PATIENTS:
            patient = self._patient(demo, now)
            services.link_create(patient=patient, invite_code=therapist.invite_code or "")
            times, enabled, missed_nudge = DEMO_REMINDERS[demo.email]
            if demo.email == SOON_REMINDED:
                times = [*times, self._soon(patient, now)]
            services.reminders_update(
                patient=patient, times=times, enabled=enabled, missed_nudge=missed_nudge, push=True, email=True
            )
            added = self._diary(patient, demo, now)
            doses = self._doses(patient, demo, now)
            self.stdout.write(f"  {demo.name}: {demo.pattern} ({added} new check-ins, {doses} new doses)")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        self.stdout.write(
            f"  therapist  {THERAPIST_EMAIL}  (invite code {format_invite_code(therapist.invite_code or '')})"
        )
        for demo in PATIENTS:
            self.stdout.write(f"  patient    {demo.email}  ({demo.pattern})")
        self.stdout.write(
            "\nThe therapist signs in in two steps. Add this key to an authenticator app "
            f"(type it in): {DEMO_TOTP_KEY_BASE32}, or use a demo recovery code (each works once): "
            + ", ".join(DEMO_RECOVERY_CODES)
        )

    def _soon(self, patient: User, now: datetime) -> str:
        """A reminder time a few minutes from now in the patient's zone, so `make run` shows one sent."""
        soon = (now + SOON_AFTER).astimezone(ZoneInfo(patient.timezone))
        self.stdout.write(
            f"  A reminder for {patient.email} is due at {soon:%H:%M} their time: watch the worker's log."
        )
        return f"{soon:%H:%M}"

    def _therapist(self) -> User:
        therapist = User.objects.filter(email=THERAPIST_EMAIL).first()
        if therapist is None:
            therapist = services.therapist_create(
                email=THERAPIST_EMAIL,
                password=DEMO_PASSWORD,
                display_name="Sam Rivera, PT",
                timezone_name="Europe/London",
            )
        # A known app key and recovery codes, printed below, so the demo needs no phone. Never in a real clinic.
        TOTPDevice.objects.filter(user=therapist).delete()
        TOTPDevice.objects.create(user=therapist, name=mfa.APP_DEVICE, key=DEMO_TOTP_KEY_HEX, confirmed=True)
        recovery, _ = StaticDevice.objects.get_or_create(user=therapist, name=mfa.RECOVERY_DEVICE)
        recovery.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in DEMO_RECOVERY_CODES)
        return therapist

    def _patient(self, demo: DemoPatient, now: datetime) -> User:
        patient = User.objects.filter(email=demo.email, role=Role.PATIENT).first()
        if patient is None:
            patient = services.patient_signup(email=demo.email, password=DEMO_PASSWORD, timezone_name=demo.zone)
            started = None
            if demo.therapy_weeks_ago is not None:
                started = now.astimezone(ZoneInfo(demo.zone)).date() - timedelta(weeks=demo.therapy_weeks_ago)
            services.profile_update(user=patient, display_name=demo.name, therapy_started_on=started)
        return patient

    def _diary(self, patient: User, demo: DemoPatient, now: datetime) -> int:
        zone = ZoneInfo(patient.timezone)
        today = now.astimezone(zone).date()
        added = 0
        for day in range(DAYS):
            local_date = today - timedelta(days=DAYS - 1 - day)
            # One generator per patient and day: a rerun on the same day makes the same diary.
            rng = random.Random(f"{demo.email}:{local_date.isoformat()}")  # noqa: S311 - demo data, not secrets
            for slot, at in (NIGHT, MORNING, EVENING):
                fields = demo.diary(day, slot, rng)
                recorded_at = self._moment(local_date, at, zone, rng)
                if fields is None or recorded_at > now:
                    continue
                result = services.checkin_create(
                    patient=patient,
                    client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{demo.email}:{local_date}:{slot}"),
                    recorded_at=recorded_at,
                    **fields,
                )
                added += result.created
        return added

    def _doses(self, patient: User, demo: DemoPatient, now: datetime) -> int:
        """The patient's medicines (found by name on a rerun) and six weeks of their doses."""
        zone = ZoneInfo(patient.timezone)
        today = now.astimezone(zone).date()
        added = 0
        for name, strength, kind, schedule in DEMO_MEDICINES.get(demo.email, []):
            medicine = Medicine.objects.filter(patient=patient, name=name).first()
            if medicine is None:
                medicine = medication.medicine_create(patient=patient, name=name, strength=strength, kind=kind)
            for day in range(DAYS):
                local_date = today - timedelta(days=DAYS - 1 - day)
                rng = random.Random(f"{demo.email}:{name}:{local_date.isoformat()}")  # noqa: S311 - demo data
                for index, (at, relief) in enumerate(schedule(day, rng)):
                    taken_at = self._moment(local_date, at, zone, rng)
                    if taken_at > now - timedelta(hours=1):
                        continue  # not taken yet (and its relief not asked yet)
                    result = medication.dose_create(
                        patient=patient,
                        client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{demo.email}:{name}:{local_date}:{index}"),
                        medicine_id=medicine.pk,
                        taken_at=taken_at,
                        amount="1 tablet",
                    )
                    if result.created and relief is not None:
                        medication.dose_update(dose=result.dose, relief=relief)
                    added += result.created
        return added

    @staticmethod
    def _moment(local_date: date, at: time, zone: ZoneInfo, rng: random.Random) -> datetime:
        jitter = timedelta(minutes=rng.randint(-35, 35))
        return datetime.combine(local_date, at, tzinfo=zone) + jitter
