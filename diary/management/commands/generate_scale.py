"""manage.py generate_scale: many synthetic diaries, fast, to measure the app at a clinic's scale.

    manage.py generate_scale --patients 10000 --days 90 --caseload 200

Patients with 1–3 check-ins on most days in a mix of time zones (dated as the services date them,
services.local_moment), about half with an as-needed or regular medicine and its doses, half with
a therapy start date, most ordinary and some with a worrying spell; and one therapist with the
first `--caseload` patients linked (with consent). Rows go in with COPY on PostgreSQL (bulk_create
elsewhere), so 10,000 patients × 90 days take about a minute. Flags are not judged here: run
`manage.py refresh_flags` next (as tests/bench_scale.py does), or lists judge them on first read.

Nobody can sign in as these people (unusable passwords). Refused without DEBUG unless
--i-know-this-is-not-production, like seed_demo: a real clinic's lists would fill with strangers.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from diary import consent
from diary.invite_codes import new_invite_code
from diary.management.progress import Progress
from diary.models import (
    CareLink,
    CheckIn,
    Dose,
    DoseReason,
    Medicine,
    MedicineKind,
    ReminderSettings,
    Role,
    User,
)
from diary.services import local_moment

ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
)
COMMON_SYMPTOMS = ("difficulty_sleeping", "nausea", "night_sweats", "urinary_change", "limb_numbness_tingling")
RED_FLAG_SYMPTOMS = ("limb_weakness", "difficulty_walking", "saddle_numbness", "blood_in_urine", "pain_worse_straining")
LOCATIONS = ("lower_back", "mid_back", "upper_back", "hip_buttock", "leg_left", "neck")
# The local hours a check-in may be made at, by how often people choose them.
HOURS = (3, 7, 8, 8, 9, 12, 13, 18, 20, 20, 21, 22)
PATIENTS_PER_WRITE = 250

# Diary patterns and their shares of patients (the rest are "steady").
PATTERNS = (("improving", 0.20), ("worsening", 0.12), ("night_pain", 0.08), ("weight_loss", 0.04), ("fatigue", 0.05))


@dataclass(frozen=True)
class Person:
    """What one generated patient's diary is made from."""

    index: int
    zone: str
    pattern: str
    checkin_rate: float  # the share of days with a check-in
    quiet_last_days: int  # a few stopped checking in lately
    therapy_days_ago: int | None
    weight: float
    medicine: str | None  # "as_needed", "regular" or None


def person_for(index: int, days: int, rng: random.Random) -> Person:
    roll = rng.random()
    pattern = "steady"
    for name, share in PATTERNS:
        if roll < share:
            pattern = name
            break
        roll -= share
    medicine_roll = rng.random()
    return Person(
        index=index,
        zone=ZONES[index % len(ZONES)],
        pattern=pattern,
        checkin_rate=rng.uniform(0.55, 1.0),
        quiet_last_days=rng.choice((4, 6, 9)) if rng.random() < 0.05 else 0,
        therapy_days_ago=rng.randint(7, max(8, days)) if rng.random() < 0.5 or pattern == "improving" else None,
        weight=rng.uniform(50, 100),
        medicine="as_needed" if medicine_roll < 0.35 else "regular" if medicine_roll < 0.5 else None,
    )


def clamp(value: float) -> int:
    return max(0, min(10, round(value)))


def checkin_fields(person: Person, ago: int, days: int, hour: int, rng: random.Random) -> dict[str, Any]:
    """One check-in's answers for a patient's pattern, `ago` days before today."""
    late = ago < 21  # the last three weeks, when the worrying patterns show
    morning = 5 <= hour < 12
    pain = rng.uniform(1, 5)
    fatigue = rng.uniform(1, 5)
    symptoms = [code for code in COMMON_SYMPTOMS if rng.random() < 0.004]
    if person.pattern == "improving" and person.therapy_days_ago is not None:
        pain = (
            6
            - 4 * min(1.0, max(0, person.therapy_days_ago - ago) / max(1, person.therapy_days_ago))
            + rng.uniform(-1, 1)
        )
    elif person.pattern == "worsening" and late:
        pain = rng.uniform(5, 9)
        fatigue = rng.uniform(4, 9)
        symptoms += [code for code in COMMON_SYMPTOMS if rng.random() < 0.12]
        if ago < 3 and rng.random() < 0.1:
            symptoms.append(rng.choice(RED_FLAG_SYMPTOMS))
    elif person.pattern == "night_pain" and (hour < 5 or morning):
        pain = rng.uniform(5, 8)
    elif person.pattern == "fatigue":
        fatigue = rng.uniform(6, 9)
    fields: dict[str, Any] = {
        "pain": clamp(pain),
        "pain_locations": [rng.choice(LOCATIONS)],
        "movement_effect": rng.choice(("worse", "worse", "no_change", "better", None)),
        "fatigue": clamp(fatigue),
        "rest_helped": rng.choice(("yes", "somewhat", "no", None)),
        "sleep_hours": round(rng.uniform(4, 9) * 2) / 2 if morning else None,
        "woke_from_pain": rng.random() < (0.5 if person.pattern == "night_pain" else 0.1) if morning else None,
        "weight_kg": None,
        "exercise_minutes": rng.choice((None, None, 10, 20, 30)),
        "symptoms": sorted(set(symptoms)),
        "notes": rng.choice(("", "", "", "", "Stiff after the drive.", "Better after my exercises.")),
    }
    if morning and ago % 7 == person.index % 7:
        lost = 0.08 * person.weight * (days - ago) / days if person.pattern == "weight_loss" else 0
        fields["weight_kg"] = round(person.weight - lost + rng.uniform(-0.3, 0.3), 1)
    return fields


def moment(local_date: date, hour: int, zone: ZoneInfo, rng: random.Random) -> datetime:
    return datetime.combine(local_date, time(hour, rng.randint(0, 59)), tzinfo=zone)


def new_uuid(rng: random.Random) -> uuid.UUID:
    # From the run's seed, so a rerun with the same seed makes the same rows (and no os.urandom per row).
    return uuid.UUID(int=rng.getrandbits(128), version=4)


CHECKIN_COLUMNS = (
    "patient_id",
    "client_uuid",
    "recorded_at",
    "local_date",
    "part_of_day",
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
    "new_alerts",
    "created_at",
    "updated_at",
)
DOSE_COLUMNS = (
    "patient_id",
    "medicine_id",
    "client_uuid",
    "taken_at",
    "local_date",
    "part_of_day",
    "amount",
    "reason",
    "relief",
    "created_at",
    "updated_at",
)


def diary_rows(person: Person, patient_id: int, days: int, now: datetime, rng: random.Random) -> list[tuple[Any, ...]]:
    """The patient's check-ins as rows in CHECKIN_COLUMNS order."""
    zone = ZoneInfo(person.zone)
    today = now.astimezone(zone).date()
    rows = []
    for ago in range(days - 1, -1, -1):
        if ago < person.quiet_last_days or rng.random() > person.checkin_rate:
            continue
        local_date = today - timedelta(days=ago)
        for hour in sorted(rng.sample(HOURS, rng.choice((1, 2, 2, 3)))):
            recorded_at = moment(local_date, hour, zone, rng)
            if recorded_at > now:
                continue
            local, part_of_day = local_moment(recorded_at, person.zone)
            fields = checkin_fields(person, ago, days, hour, rng)
            rows.append(
                (
                    patient_id,
                    new_uuid(rng),
                    recorded_at,
                    local,
                    part_of_day,
                    *(fields[name] for name in CHECKIN_COLUMNS[5:16]),
                    [],
                    recorded_at,
                    recorded_at,
                )
            )
    return rows


def dose_rows(
    person: Person, patient_id: int, medicine_id: int, days: int, now: datetime, rng: random.Random
) -> list[tuple[Any, ...]]:
    """The patient's doses of their one medicine as rows in DOSE_COLUMNS order."""
    zone = ZoneInfo(person.zone)
    today = now.astimezone(zone).date()
    as_needed = person.medicine == MedicineKind.AS_NEEDED
    rows = []
    for ago in range(days - 1, -1, -1):
        local_date = today - timedelta(days=ago)
        if as_needed:
            count = rng.choice((0, 1, 1, 2)) + (2 if person.pattern in ("worsening", "night_pain") and ago < 14 else 0)
            hours = sorted(rng.sample((2, 10, 14, 18, 22), min(count, 5)))
        else:
            hours = [8, 20]
        for hour in hours:
            taken_at = moment(local_date, hour, zone, rng)
            if taken_at > now:
                continue
            local, part_of_day = local_moment(taken_at, person.zone)
            relief = rng.choice(("none", "some", "good", "good", "complete", None)) if as_needed else None
            reason = DoseReason.BREAKTHROUGH_PAIN if as_needed else DoseReason.SCHEDULED
            rows.append(
                (
                    patient_id,
                    medicine_id,
                    new_uuid(rng),
                    taken_at,
                    local,
                    part_of_day,
                    "1 tablet",
                    reason,
                    relief,
                    taken_at,
                    taken_at,
                )
            )
    return rows


def write_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows (values in `columns` order): COPY on PostgreSQL, bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            (model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2_000
        )
        return
    from psycopg.types.json import Jsonb  # only on PostgreSQL

    json_columns = [
        index for index, name in enumerate(columns) if isinstance(model._meta.get_field(name), models.JSONField)
    ]
    # The columns are named as the fields' attnames (patient_id), which are also their database columns.
    names = ", ".join(connection.ops.quote_name(name) for name in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            if json_columns:
                row = tuple(Jsonb(value) if index in json_columns else value for index, value in enumerate(row))
            copy.write_row(row)


class Command(BaseCommand):
    help = "Generate many synthetic patients with diaries, and one therapist with a caseload (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=90, help="Days of diary before today.")
        parser.add_argument("--caseload", type=int, default=200, help="Patients linked to the one therapist.")
        parser.add_argument("--seed", type=int, default=16, help="The same seed makes the same diaries.")
        parser.add_argument(
            "--prefix", default="scale", help="Emails are <prefix>-<n>@example.invalid; a prefix is used once."
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Generate even though DEBUG is off (a throwaway copy, never a real clinic).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "generate_scale fills the database with made-up patients; it runs only with DEBUG on, "
                "or with --i-know-this-is-not-production on a database that is not a real clinic's."
            )
        patients, days, caseload, prefix = options["patients"], options["days"], options["caseload"], options["prefix"]
        if patients < 1 or days < 1 or not 0 <= caseload <= patients:
            raise CommandError("Give at least one patient and one day, and a caseload no larger than the patients.")
        if User.objects.filter(email__startswith=f"{prefix}-").exists():
            raise CommandError(f"People with the prefix {prefix!r} exist already: choose another --prefix.")
        # The prefix too, so that a second cohort's rows (and client_uuids) differ from the first's.
        rng = random.Random(f"{prefix}:{options['seed']}")  # noqa: S311 - made-up data, not secrets
        now = timezone.now()
        checkins = doses = 0
        progress = Progress(patients, "patients", stream=self.stderr)
        with transaction.atomic():
            therapist = User.objects.create(
                email=f"{prefix}-therapist@example.invalid",
                role=Role.THERAPIST,
                display_name="Scale Therapist",
                invite_code=new_invite_code(),
                password=make_password(None),  # unusable: nobody signs in as them
            )
            for start in range(0, patients, PATIENTS_PER_WRITE):
                people = [
                    person_for(index, days, rng) for index in range(start, min(patients, start + PATIENTS_PER_WRITE))
                ]
                made = self._people(people, prefix, days, now)
                links = [made[person.index] for person in people if person.index < caseload]
                CareLink.objects.bulk_create(
                    CareLink(patient_id=pk, therapist=therapist, consent_version=consent.VERSION, consented_at=now)
                    for pk in links
                )
                medicines = self._medicines(people, made)
                checkin_rows = [
                    row for person in people for row in diary_rows(person, made[person.index], days, now, rng)
                ]
                dose_rows_ = [
                    row
                    for person in people
                    if person.index in medicines
                    for row in dose_rows(person, made[person.index], medicines[person.index], days, now, rng)
                ]
                write_rows(CheckIn, CHECKIN_COLUMNS, checkin_rows)
                write_rows(Dose, DOSE_COLUMNS, dose_rows_)
                checkins += len(checkin_rows)
                doses += len(dose_rows_)
                progress.advance(len(people))
        progress.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would make them soon
        self.stdout.write(
            f"Generated {patients:,} patients ({days} days), {checkins:,} check-ins and {doses:,} doses, and "
            f"{therapist.email} with {caseload} linked patients, in {progress.elapsed():.0f} s. "
            "Flags are not judged yet: run refresh_flags."
        )

    @staticmethod
    def _people(people: list[Person], prefix: str, days: int, now: datetime) -> dict[int, int]:
        """The patients' accounts and reminder settings; their ids by index."""
        unusable = make_password(None)  # nobody signs in as them
        users = User.objects.bulk_create(
            User(
                email=f"{prefix}-{person.index}@example.invalid",
                role=Role.PATIENT,
                display_name=f"Patient {person.index:05}",
                timezone=person.zone,
                therapy_started_on=(
                    now.astimezone(ZoneInfo(person.zone)).date() - timedelta(days=person.therapy_days_ago)
                    if person.therapy_days_ago is not None
                    else None
                ),
                password=unusable,
                date_joined=now - timedelta(days=days),
            )
            for person in people
        )
        ReminderSettings.objects.bulk_create(
            ReminderSettings(patient=user, times=["20:00"], enabled=person.index % 3 != 0, push=True)
            for person, user in zip(people, users, strict=True)
        )
        return {person.index: user.pk for person, user in zip(people, users, strict=True)}

    @staticmethod
    def _medicines(people: list[Person], made: dict[int, int]) -> dict[int, int]:
        """One medicine for the patients who take one; its id by patient index."""
        takers = [person for person in people if person.medicine]
        medicines = Medicine.objects.bulk_create(
            Medicine(
                patient_id=made[person.index],
                name="oxycodone" if person.medicine == MedicineKind.AS_NEEDED else "morphine sulfate MR",
                strength="5 mg" if person.medicine == MedicineKind.AS_NEEDED else "10 mg",
                kind=str(person.medicine),
            )
            for person in takers
        )
        return {person.index: medicine.pk for person, medicine in zip(takers, medicines, strict=True)}
