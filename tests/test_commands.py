"""The management commands a clinic runs: create_therapist and seed_demo."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from diary import services
from diary.flags import flags_for, patients_by_urgency
from diary.models import CareLink, CheckIn, Dose, FlagState, Medicine, ReminderSettings, Role, User


def test_it_creates_a_therapist_with_a_password_from_stdin(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long and unusual passphrase\n"))
    out = io.StringIO()
    call_command("create_therapist", "Sam@Clinic.example", "--password-stdin", "--name", "Sam Rivera", stdout=out)
    therapist = User.objects.get(email="sam@clinic.example")
    assert therapist.role == Role.THERAPIST
    assert therapist.check_password("a long and unusual passphrase")
    assert therapist.invite_code
    assert "Invite code" in out.getvalue()


def test_it_refuses_a_weak_therapist_password(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))
    with pytest.raises(CommandError, match=r"too short|too common"):
        call_command("create_therapist", "sam@clinic.example", "--password-stdin", stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    # Seeding takes seconds: do it once, inside a transaction rolled back at the end.
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


class TestSeedDemo:
    @pytest.fixture(autouse=True)
    def _db(self, seeded: str, db: Any) -> None:
        """Each test runs in its own savepoint inside the seeded transaction."""

    def test_it_makes_a_therapist_and_four_linked_patients_in_different_zones(self, seeded: str) -> None:
        therapist = User.objects.get(role=Role.THERAPIST)
        patients = User.objects.filter(role=Role.PATIENT)
        assert patients.count() >= 6
        assert len({p.timezone for p in patients}) == patients.count()
        assert CareLink.objects.filter(therapist=therapist, ended_at__isnull=True).count() == patients.count()
        assert therapist.email in seeded
        assert "password" in seeded

    def test_it_writes_six_weeks_of_checkins(self, seeded: str) -> None:
        for patient in User.objects.filter(role=Role.PATIENT):
            dates = sorted(set(CheckIn.objects.filter(patient=patient).values_list("local_date", flat=True)))
            # Leo stopped checking in five days ago, on purpose: the "missed check-ins" example.
            assert (dates[-1] - dates[0]).days >= 36, patient.email
            assert len(dates) >= 36, patient.email

    def test_it_gives_every_demo_patient_reminder_settings(self, seeded: str) -> None:
        """Reminders at their own local times; most on, one left off, some with the missed-day nudge."""
        settings = {r.patient.email: r for r in ReminderSettings.objects.select_related("patient")}
        assert set(settings) == set(User.objects.filter(role=Role.PATIENT).values_list("email", flat=True))
        assert all(1 <= len(r.times) <= 4 and r.email for r in settings.values())
        assert {r.enabled for r in settings.values()} == {True, False}
        assert any(r.missed_nudge for r in settings.values())

    def test_it_is_idempotent(self, seeded: str) -> None:
        def counts() -> tuple[int, ...]:
            return (
                User.objects.count(),
                CheckIn.objects.count(),
                CareLink.objects.count(),
                Medicine.objects.count(),
                Dose.objects.count(),
            )

        before = counts()
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
        assert counts() == before

    def test_the_night_pain_patient_hurts_most_at_night_and_on_waking(self, seeded: str) -> None:
        checkins = CheckIn.objects.filter(patient__email="maria@example.org", pain__isnull=False)
        early = [c.pain for c in checkins if c.part_of_day in ("night", "morning")]
        evening = [c.pain for c in checkins if c.part_of_day == "evening"]
        assert sum(early) / len(early) >= sum(evening) / len(evening) + 2
        assert checkins.filter(woke_from_pain=True).count() >= 10

    def test_the_mechanical_patient_is_worse_with_movement_and_later_in_the_day(self, seeded: str) -> None:
        checkins = CheckIn.objects.filter(patient__email="james@example.org", pain__isnull=False)
        assert all(c.movement_effect == "worse" for c in checkins)
        morning = [c.pain for c in checkins if c.part_of_day == "morning"]
        evening = [c.pain for c in checkins if c.part_of_day == "evening"]
        assert sum(evening) / len(evening) > sum(morning) / len(morning)
        assert not checkins.filter(woke_from_pain=True).exists()

    def test_the_fatigue_patient_is_tired_despite_rest(self, seeded: str) -> None:
        checkins = CheckIn.objects.filter(patient__email="priya@example.org", fatigue__isnull=False)
        assert sum(c.fatigue or 0 for c in checkins) / checkins.count() >= 6
        assert checkins.filter(rest_helped="no").count() == checkins.count()

    def test_the_weight_loss_patient_loses_at_least_five_percent(self, seeded: str) -> None:
        weights = list(
            CheckIn.objects.filter(patient__email="tom@example.org", weight_kg__isnull=False)
            .order_by("recorded_at")
            .values_list("weight_kg", flat=True)
        )
        assert weights[-1] <= max(weights) * 0.95

    def test_the_therapists_list_shows_every_level_of_flag(self, seeded: str) -> None:
        therapist = User.objects.get(role=Role.THERAPIST)
        rows = patients_by_urgency(therapist)
        levels = {flag["level"] for row in rows for flag in row["flags"]}
        assert levels == {"emergency", "urgent", "review", "info"}
        assert rows[0]["top_level"] == "emergency"

    def test_the_mechanical_pain_patient_raises_no_urgent_or_review_flag(self, seeded: str) -> None:
        james = User.objects.get(email="james@example.org")
        levels = {flag["level"] for flag in flags_for(james)["flags"]}
        assert not levels & {"emergency", "urgent", "review"}, flags_for(james)["flags"]

    def test_the_night_pain_patient_needs_more_and_more_breakthrough_doses(self, seeded: str) -> None:
        """Maria's as-needed doses rise over the six weeks: rescue_doses_rising, then rescue_doses_high."""
        maria = User.objects.get(email="maria@example.org")
        assert Medicine.objects.filter(patient=maria).count() == 2
        found = {flag["code"]: flag for flag in flags_for(maria)["flags"]}
        assert {"rescue_doses_rising", "rescue_doses_high"} <= set(found), sorted(found)
        assert found["rescue_doses_rising"]["since"] < found["rescue_doses_high"]["since"]
        assert "rescue_doses_not_helping" not in found

    def test_the_mechanical_patient_takes_fewer_pain_relievers_since_therapy_began(self, seeded: str) -> None:
        """James's ibuprofen falls from 3 a day to about 1 once therapy began, and raises no medicine flag."""
        james = User.objects.get(email="james@example.org")
        began = james.therapy_started_on
        assert began is not None
        doses = Dose.objects.filter(patient=james, medicine__kind="as_needed")
        before = doses.filter(local_date__lt=began, local_date__gte=began - timedelta(days=7)).count() / 7
        today = max(doses.values_list("local_date", flat=True))
        recent = doses.filter(local_date__gt=today - timedelta(days=7)).count() / 7
        assert before >= 2.5 and recent <= 1
        codes = {flag["code"] for flag in flags_for(james)["flags"]}
        assert not codes & {"rescue_doses_high", "rescue_doses_rising", "rescue_doses_not_helping"}

    def test_each_patient_shows_the_pattern_they_stand_for(self, seeded: str) -> None:
        expected = {
            "maria@example.org": {"night_pain", "morning_pain_eases", "pain_unrelated_to_movement"},
            "priya@example.org": {"persistent_fatigue"},
            "tom@example.org": {"weight_loss"},
            "grace@example.org": {"spinal_cord_compression_signs", "limb_numbness_tingling"},
            "leo@example.org": {"missed_checkins"},
        }
        for email, codes in expected.items():
            found = {flag["code"] for flag in flags_for(User.objects.get(email=email))["flags"]}
            assert codes <= found, (email, found)


def test_refresh_flags_rejudges_diaries_whose_day_has_turned(patient: Any) -> None:
    """After midnight in the patient's zone, the command brings the stored flags up to today."""

    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=start, pain=3)
    assert FlagState.objects.get(patient=patient).as_of.isoformat() == "2026-03-10"
    with time_machine.travel(start + timedelta(days=4), tick=False):
        call_command("refresh_flags", stdout=io.StringIO())
    state = FlagState.objects.get(patient=patient)
    assert state.as_of.isoformat() == "2026-03-14"
    assert [flag["code"] for flag in state.flags] == ["missed_checkins"]
