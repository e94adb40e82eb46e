"""Domain rules that live in diary/services.py, tested without HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.core.exceptions import ValidationError

from diary import services
from diary.flags import FlagNotActive, flag_acknowledge
from diary.invite_codes import INVITE_ALPHABET, INVITE_LENGTH, new_invite_code, normalize_invite_code
from diary.models import CheckIn


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        ("00:00", "night"),
        ("05:59", "night"),
        ("06:00", "morning"),
        ("11:59", "morning"),
        ("12:00", "afternoon"),
        ("17:59", "afternoon"),
        ("18:00", "evening"),
        ("23:59", "evening"),
    ],
)
def test_it_names_the_part_of_day_at_each_boundary(local_time: str, expected: str) -> None:
    moment = datetime.fromisoformat(f"2026-03-01T{local_time}:00+00:00")
    assert services.local_moment(moment, "UTC") == (date(2026, 3, 1), expected)


def test_it_dates_a_moment_in_the_patients_zone_not_utc() -> None:
    # 15:30 UTC on 1 March is 04:30 on 2 March in Auckland (UTC+13) and 07:30 on 1 March in Los Angeles (UTC-8).
    moment = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    assert services.local_moment(moment, "Pacific/Auckland") == (date(2026, 3, 2), "night")
    assert services.local_moment(moment, "America/Los_Angeles") == (date(2026, 3, 1), "morning")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("abcde-fghjk", "ABCDEFGHJK"), (" ab cde fghjk ", "ABCDEFGHJK"), ("O1IL0", "01110")],
)
def test_it_normalizes_what_people_type_for_an_invite_code(typed: str, stored: str) -> None:
    assert normalize_invite_code(typed) == stored


def test_invite_codes_are_long_and_from_the_readable_alphabet() -> None:
    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == INVITE_LENGTH for code in codes)
    assert all(set(code) <= set(INVITE_ALPHABET) for code in codes)


class TestCheckinCreate:
    @time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    def test_it_dedupes_codes_and_keeps_their_order(self, patient: Any) -> None:
        result = services.checkin_create(
            patient=patient,
            client_uuid=uuid4(),
            recorded_at=datetime(2026, 3, 10, 11, 0, tzinfo=UTC),
            symptoms=["nausea", "night_sweats", "nausea"],
        )
        assert result.created
        assert result.checkin.symptoms == ["nausea", "night_sweats"]

    @time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    def test_it_refuses_a_therapist(self, therapist: Any) -> None:
        with pytest.raises(ValidationError):
            services.checkin_create(
                patient=therapist, client_uuid=uuid4(), recorded_at=datetime(2026, 3, 10, 11, tzinfo=UTC), pain=3
            )
        assert not CheckIn.objects.exists()

    @time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    def test_it_explains_an_out_of_range_score_without_storing_it(self, patient: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            services.checkin_create(
                patient=patient, client_uuid=uuid4(), recorded_at=datetime(2026, 3, 10, 11, tzinfo=UTC), pain=11
            )
        assert "pain" in caught.value.message_dict
        assert not CheckIn.objects.exists()

    @time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    def test_it_accepts_the_edges_of_the_time_window(self, patient: Any) -> None:
        for recorded_at in (datetime(2026, 3, 10, 12, 5, tzinfo=UTC), datetime(2025, 3, 10, 12, 0, tzinfo=UTC)):
            services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, fatigue=2)
        assert CheckIn.objects.count() == 2

    @time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    def test_it_refuses_just_outside_the_time_window(self, patient: Any) -> None:
        for recorded_at in (datetime(2026, 3, 10, 12, 5, 1, tzinfo=UTC), datetime(2025, 3, 10, 11, 59, tzinfo=UTC)):
            with pytest.raises(ValidationError) as caught:
                services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, fatigue=2)
            assert "recorded_at" in caught.value.message_dict
        assert not CheckIn.objects.exists()


@time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
def test_a_new_time_zone_redates_stored_checkins(patient: Any) -> None:
    # 23:30 UTC is evening in London and the next morning in Auckland.
    checkin = services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC), pain=5
    ).checkin
    assert (checkin.local_date, checkin.part_of_day) == (date(2026, 3, 9), "evening")
    services.profile_update(user=patient, timezone_name="Pacific/Auckland")
    checkin.refresh_from_db()
    assert (checkin.local_date, checkin.part_of_day) == (date(2026, 3, 10), "afternoon")


def test_ending_a_link_twice_keeps_the_first_end(patient: Any, therapist: Any) -> None:
    link = services.link_create(patient=patient, invite_code=therapist.invite_code).link
    services.link_end(link=link, by=patient)
    first_end = link.ended_at
    services.link_end(link=link, by=therapist)
    link.refresh_from_db()
    assert link.ended_at == first_end
    assert link.ended_by == patient


def test_only_a_patient_can_share_a_diary(therapist: Any, unlinked_therapist: Any) -> None:
    with pytest.raises(ValidationError):
        services.link_create(patient=unlinked_therapist, invite_code=therapist.invite_code)


def test_only_a_side_of_a_link_can_end_it(patient: Any, therapist: Any, other_patient: Any) -> None:
    link = services.link_create(patient=patient, invite_code=therapist.invite_code).link
    with pytest.raises(ValidationError):
        services.link_end(link=link, by=other_patient)
    link.refresh_from_db()
    assert link.ended_at is None


@pytest.mark.parametrize("name", ["localtime", "Factory", "+01:00", "Europe/Nowhere"])
def test_a_time_zone_must_be_a_real_place(name: str) -> None:
    from diary.models import validate_timezone

    with pytest.raises(ValidationError):
        validate_timezone(name)


@time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
def test_a_flag_is_acknowledged_only_while_it_is_active(patient: Any, therapist: Any) -> None:
    """The service checks the flag. Who may acknowledge is the views' gatekeeper
    (tests/api/test_access.py, tests/frontend/test_page_access.py)."""
    services.checkin_create(
        patient=patient,
        client_uuid=uuid4(),
        recorded_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        symptoms=["blood_in_urine"],
    )
    with pytest.raises(FlagNotActive):
        flag_acknowledge(patient=patient, therapist=therapist, code="night_sweats", note="")
    acknowledgement = flag_acknowledge(
        patient=patient, therapist=therapist, code="blood_in_stool_or_urine", note="Seen."
    )
    assert acknowledgement.checkin_ids == list(CheckIn.objects.values_list("id", flat=True))
