"""A patient's day and part of day are computed in the patient's own zone, across midnight and DST changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from diary import services
from diary.models import CheckIn
from tests.conftest import checkin_body

# After both 2026 changes below, and within a year of every time sent here.
NOW = datetime(2026, 4, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auckland_patient(patient: Any) -> Any:
    """Pat, moved to Auckland (NZDT +13 until 03:00 on 2026-04-05, then NZST +12)."""
    return services.profile_update(user=patient, timezone_name="Pacific/Auckland")


@pytest.fixture
def la_patient(other_patient: Any) -> Any:
    """Olive, in Los Angeles (PST −8 until 02:00 on 2026-03-08, then PDT −7)."""
    assert other_patient.timezone == "America/Los_Angeles"
    return other_patient


def send(api: Any, person: Any, recorded_at: str) -> dict[str, Any]:
    response = api(person).post("checkins", checkin_body(recorded_at=recorded_at))
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    stored = CheckIn.objects.get(pk=data["id"])
    # The answer and the row agree.
    assert (stored.local_date.isoformat(), stored.part_of_day) == (data["local_date"], data["part_of_day"])
    return data


AUCKLAND = [
    # sent as, local date, part of day, recorded_at as answered (in the patient's zone)
    ("2026-03-10T23:59:00+13:00", "2026-03-10", "evening", "2026-03-10T23:59:00+13:00"),
    ("2026-03-10T11:01:00Z", "2026-03-11", "night", "2026-03-11T00:01:00+13:00"),
    ("2026-03-10T10:59:00Z", "2026-03-10", "evening", "2026-03-10T23:59:00+13:00"),
    # 02:30 happens twice on 2026-04-05: first in NZDT, an hour later in NZST.
    ("2026-04-05T02:30:00+13:00", "2026-04-05", "night", "2026-04-05T02:30:00+13:00"),
    ("2026-04-05T02:30:00+12:00", "2026-04-05", "night", "2026-04-05T02:30:00+12:00"),
    ("2026-03-20T02:00:00+13:00", "2026-03-20", "night", "2026-03-20T02:00:00+13:00"),
    ("2026-03-19T13:00:00Z", "2026-03-20", "night", "2026-03-20T02:00:00+13:00"),
]

LOS_ANGELES = [
    ("2026-03-10T23:59:00-07:00", "2026-03-10", "evening", "2026-03-10T23:59:00-07:00"),
    ("2026-03-11T07:01:00Z", "2026-03-11", "night", "2026-03-11T00:01:00-07:00"),
    ("2026-03-07T23:59:00-08:00", "2026-03-07", "evening", "2026-03-07T23:59:00-08:00"),
    ("2026-03-08T08:01:00Z", "2026-03-08", "night", "2026-03-08T00:01:00-08:00"),
    # 02:00–02:59 does not exist on 2026-03-08: 09:30Z is 01:30 PST, 10:30Z is 03:30 PDT.
    ("2026-03-08T09:30:00Z", "2026-03-08", "night", "2026-03-08T01:30:00-08:00"),
    ("2026-03-08T10:30:00Z", "2026-03-08", "night", "2026-03-08T03:30:00-07:00"),
    # A phone still on PST naming the missing 02:30 means the instant 10:30Z.
    ("2026-03-08T02:30:00-08:00", "2026-03-08", "night", "2026-03-08T03:30:00-07:00"),
]


@pytest.mark.parametrize(("sent", "local_date", "part_of_day", "answered"), AUCKLAND)
def test_it_dates_an_auckland_checkin_in_auckland(
    auckland_patient: Any, api: Any, sent: str, local_date: str, part_of_day: str, answered: str
) -> None:
    """Around midnight and through the repeated hour of 2026-04-05, the day is Auckland's."""
    data = send(api, auckland_patient, sent)
    assert (data["local_date"], data["part_of_day"], data["recorded_at"]) == (local_date, part_of_day, answered)


@pytest.mark.parametrize(("sent", "local_date", "part_of_day", "answered"), LOS_ANGELES)
def test_it_dates_a_los_angeles_checkin_in_los_angeles(
    la_patient: Any, api: Any, sent: str, local_date: str, part_of_day: str, answered: str
) -> None:
    """Around midnight and across the missing hour of 2026-03-08, the day is Los Angeles's."""
    data = send(api, la_patient, sent)
    assert (data["local_date"], data["part_of_day"], data["recorded_at"]) == (local_date, part_of_day, answered)


def test_it_keeps_both_of_aucklands_repeated_half_past_two(auckland_patient: Any, api: Any) -> None:
    """The two 02:30s of the DST change are two instants an hour apart, not one check-in twice."""
    first = send(api, auckland_patient, "2026-04-05T02:30:00+13:00")
    second = send(api, auckland_patient, "2026-04-05T02:30:00+12:00")
    rows = CheckIn.objects.order_by("recorded_at")
    assert [row.pk for row in rows] == [first["id"], second["id"]]
    assert (rows[1].recorded_at - rows[0].recorded_at).total_seconds() == 3600
    assert rows[0].recorded_at == datetime(2026, 4, 4, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local_time", "part_of_day"),
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
def test_it_names_the_part_of_day_from_the_local_clock(
    auckland_patient: Any, api: Any, local_time: str, part_of_day: str
) -> None:
    """night 00:00–05:59, morning 06:00–11:59, afternoon 12:00–17:59, evening 18:00–23:59, on the patient's clock."""
    local = datetime.fromisoformat(f"2026-03-20T{local_time}:00+13:00")
    # Sent in UTC, as a browser does: the UTC hour alone would give another part of day.
    data = send(api, auckland_patient, local.astimezone(UTC).isoformat())
    assert (data["local_date"], data["part_of_day"]) == ("2026-03-20", part_of_day)


def test_it_lists_by_local_date_across_the_dst_change(auckland_patient: Any, api: Any) -> None:
    """since=until=2026-04-05 in Auckland takes the whole 25-hour day, both 02:30s included."""
    for sent in (
        "2026-04-04T23:59:00+13:00",
        "2026-04-05T00:00:00+13:00",
        "2026-04-05T02:30:00+13:00",
        "2026-04-05T02:30:00+12:00",
        "2026-04-05T23:59:00+12:00",
        "2026-04-06T00:00:00+12:00",
    ):
        send(api, auckland_patient, sent)
    response = api(auckland_patient).get("checkins", since="2026-04-05", until="2026-04-05")
    assert [row["recorded_at"] for row in response.json()["results"]] == [
        "2026-04-05T23:59:00+12:00",
        "2026-04-05T02:30:00+12:00",
        "2026-04-05T02:30:00+13:00",
        "2026-04-05T00:00:00+13:00",
    ]


def test_it_redates_stored_checkins_when_the_patient_changes_zone(patient: Any, api: Any) -> None:
    """PATCH me with a new zone moves each stored check-in's local_date and part_of_day to the new zone."""
    client = api(patient)
    # 23:30 UTC is 23:30 in London (GMT in March), and 12:30 the next day in Auckland.
    late = send(api, patient, "2026-03-10T23:30:00Z")
    early = send(api, patient, "2026-03-11T05:00:00Z")
    assert (late["local_date"], late["part_of_day"]) == ("2026-03-10", "evening")
    assert (early["local_date"], early["part_of_day"]) == ("2026-03-11", "night")

    response = client.patch("me", {"timezone": "Pacific/Auckland"})

    assert response.status_code == 200
    assert response.json()["timezone"] == "Pacific/Auckland"
    rows = {row.pk: row for row in CheckIn.objects.all()}
    assert (rows[late["id"]].local_date, rows[late["id"]].part_of_day) == (date(2026, 3, 11), "afternoon")
    assert (rows[early["id"]].local_date, rows[early["id"]].part_of_day) == (date(2026, 3, 11), "evening")
    # The instants themselves do not move.
    assert rows[late["id"]].recorded_at == datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    listed = client.get("checkins").json()["results"]
    assert [(row["recorded_at"], row["part_of_day"]) for row in listed] == [
        ("2026-03-11T18:00:00+13:00", "evening"),
        ("2026-03-11T12:30:00+13:00", "afternoon"),
    ]


def test_it_leaves_other_patients_checkins_alone_when_one_changes_zone(
    patient: Any, other_patient: Any, api: Any
) -> None:
    """Only the patient who moved is re-dated."""
    olive = send(api, other_patient, "2026-03-11T05:00:00Z")
    api(patient).patch("me", {"timezone": "Pacific/Auckland"})
    stored = CheckIn.objects.get(pk=olive["id"])
    assert (stored.local_date, stored.part_of_day) == (date(2026, 3, 10), "evening")


BAD_ZONES = ["Mars/Olympus_Mons", "+02:00", "UTC+2", "GMT+1", "europe/london", "Europe/Londres", "", "Local"]


@pytest.mark.parametrize("zone", BAD_ZONES, ids=repr)
def test_it_refuses_an_unknown_zone_at_signup(db: Any, api: Any, zone: str) -> None:
    """Signup needs an IANA zone name: 400 naming timezone, and no account."""
    from diary.models import User

    response = api(None).post(
        "auth/signup", {"email": "new@example.com", "password": "a long new passphrase", "timezone": zone}
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize("zone", [*BAD_ZONES, None, 7], ids=repr)
def test_it_refuses_an_unknown_zone_on_the_profile(patient: Any, api: Any, zone: Any) -> None:
    """PATCH me with a bad zone is 400 and changes nothing, stored check-ins included."""
    send(api, patient, "2026-03-10T23:30:00Z")
    response = api(patient).patch("me", {"timezone": zone})
    assert response.status_code == 400
    assert "timezone" in response.json()
    patient.refresh_from_db()
    assert patient.timezone == "Europe/London"
    assert CheckIn.objects.get().local_date == date(2026, 3, 10)
