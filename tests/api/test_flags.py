"""Flags and trends through the API: what the patient and their therapist see, and the stored flags behind it.

The people are those of tests/conftest.py: Pat (a patient in London), Olive (a patient in
Los Angeles), Thea (linked to both), Uma (linked to nobody) and Ed (whose link to Pat ended).
Some tests build a second therapist, Tess, with patients of her own, named for what their
diaries hold.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary import services, trends
from diary.flags import flag_state_for, flags_refresh_many, latest_acknowledgements
from diary.models import CheckIn, FlagAcknowledgement, FlagState, Symptom, User
from tests.conftest import PASSWORD, Api, checkin_body

# Every test starts at this instant: a Friday, 12:00 in London (GMT until Mar 29), and already
# 01:00 on Saturday Mar 21 in Auckland (NZDT, +13).
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)

FLAG_KEYS = {"code", "level", "title", "detail", "since", "evidence", "acknowledged"}
DAY_KEYS = {
    "as_needed_doses",  # API.md 1.1
    "date",
    "checkins",
    "pain_max",
    "pain_mean",
    "pain_first",
    "pain_last",
    "fatigue_max",
    "sleep_hours",
    "weight_kg",
    "exercise_minutes",
    "symptoms",
}
RANK = {"emergency": 0, "urgent": 1, "review": 2, "info": 3}


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    """The frozen clock; tests move it with clock.shift(timedelta(days=1))."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ago(**delta: float) -> str:
    """An ISO time this long before now, in UTC as a browser sends it."""
    return (datetime.now(UTC) - timedelta(**delta)).isoformat().replace("+00:00", "Z")


def post_checkin(user: Any, **fields: Any) -> dict[str, Any]:
    response = Api(user).post("checkins", checkin_body(**fields))
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    return data


def add_checkin(patient: User, recorded_at: datetime, **fields: Any) -> CheckIn:
    """A check-in stored through the service, as the API would store it (faster than a request)."""
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, **fields).checkin


def codes(flags: list[dict[str, Any]]) -> list[str]:
    return [flag["code"] for flag in flags]


def flag_named(flags: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(flag for flag in flags if flag["code"] == code)


# --- GET flags ---------------------------------------------------------------


def test_it_answers_flags_as_of_today_in_the_patients_zone(patient: Any, api: Any) -> None:
    """as_of is the patient's own today: Saturday in Auckland while it is still Friday in UTC and London."""
    pat = api(patient)
    london = pat.get("flags")
    assert london.status_code == 200
    assert london.json()["as_of"] == "2026-03-20"

    assert pat.patch("me", {"timezone": "Pacific/Auckland"}).status_code == 200
    auckland = pat.get("flags").json()

    assert set(auckland) == {"as_of", "flags", "not_enough_data"}
    assert auckland["as_of"] == "2026-03-21"
    # An empty diary raises nothing and cannot be judged on anything.
    assert auckland["flags"] == []
    assert set(auckland["not_enough_data"]) == {rule.code for rule in trends.RULES}


def test_it_lists_flags_most_severe_first_with_every_field(patient: Any, api: Any) -> None:
    """One check-in four days ago raises one flag of each level; they come emergency, urgent, review, info."""
    checkin = post_checkin(
        patient,
        recorded_at=ago(days=4),
        symptoms=["limb_weakness", "blood_in_urine", "urinary_change"],
    )

    data = api(patient).get("flags").json()

    assert codes(data["flags"]) == [
        "spinal_cord_compression_signs",
        "blood_in_stool_or_urine",
        "bladder_bowel_change",
        "missed_checkins",
    ]
    assert [flag["level"] for flag in data["flags"]] == ["emergency", "urgent", "review", "info"]
    for flag in data["flags"]:
        assert set(flag) >= FLAG_KEYS, flag["code"]
        assert flag["title"] and flag["detail"]
        # Each pattern has held since the check-in, except silence: 3 days without one is Mar 19.
        assert flag["since"] == ("2026-03-19" if flag["code"] == "missed_checkins" else "2026-03-16"), flag["code"]
        assert flag["evidence"]["checkin_ids"] == [checkin["id"]]
        assert flag["acknowledged"] is None
    assert "missed_checkins" not in data["not_enough_data"]
    assert "night_pain" in data["not_enough_data"]


def test_it_shows_the_linked_therapist_the_flags_the_patient_sees(patient: Any, therapist: Any, api: Any) -> None:
    """patients/{id}/flags answers exactly what the patient's own GET flags does."""
    post_checkin(patient, symptoms=["blood_in_urine"])
    own = api(patient).get("flags")
    theirs = api(therapist).get(f"patients/{patient.pk}/flags")
    assert theirs.status_code == 200
    assert theirs.json() == own.json()
    assert codes(own.json()["flags"]) == ["blood_in_stool_or_urine"]


@pytest.mark.parametrize("route", ["flags", "trends"])
def test_it_hides_flags_and_trends_from_everyone_but_the_patient_and_the_linked_therapist(
    patient: Any, therapist: Any, unlinked_therapist: Any, ended_therapist: Any, other_patient: Any, route: str
) -> None:
    """Uma and Ed get 404 for Pat; Thea gets 404 for a patient id that is not hers; patients get 403."""
    post_checkin(patient, symptoms=["blood_in_urine"])
    stranger = services.patient_signup(email="sam@example.com", password=PASSWORD, timezone_name="UTC")
    assert Api(therapist).get(f"patients/{patient.pk}/{route}").status_code == 200
    assert Api(unlinked_therapist).get(f"patients/{patient.pk}/{route}").status_code == 404
    assert Api(ended_therapist).get(f"patients/{patient.pk}/{route}").status_code == 404
    assert Api(therapist).get(f"patients/{stranger.pk}/{route}").status_code == 404
    assert Api(patient).get(f"patients/{patient.pk}/{route}").status_code == 403
    assert Api(other_patient).get(f"patients/{patient.pk}/{route}").status_code == 403
    assert Api(therapist).get(route).status_code == 403
    assert Api(None).get(route).status_code == 401


# --- alerts on POST checkins -------------------------------------------------


def test_it_answers_a_checkin_reporting_limb_weakness_with_an_emergency_alert(patient: Any, api: Any) -> None:
    """201 with alerts naming spinal_cord_compression_signs; sent again, 200 with the same alerts."""
    pat = api(patient)
    body = checkin_body(symptoms=["limb_weakness"], pain=5)

    first = pat.post("checkins", body)
    again = pat.post("checkins", body)

    assert first.status_code == 201
    alerts = first.json()["alerts"]
    assert codes(alerts) == ["spinal_cord_compression_signs"]
    assert alerts[0]["level"] == "emergency"
    assert set(alerts[0]) >= FLAG_KEYS
    assert alerts[0]["evidence"]["checkin_ids"] == [first.json()["id"]]
    assert again.status_code == 200
    assert again.json()["alerts"] == alerts
    assert CheckIn.objects.count() == 1


def test_it_answers_a_checkin_without_alarming_content_with_no_alerts(patient: Any) -> None:
    """Pain 4 and tiredness 3 are nothing to act on at once: alerts is an empty list."""
    assert post_checkin(patient, pain=4, fatigue=3)["alerts"] == []


def test_it_alerts_urgent_flags_but_not_review_ones(patient: Any, api: Any) -> None:
    """Blood in urine (urgent) is an alert; a change in passing urine (review) is a flag but no alert."""
    data = post_checkin(patient, symptoms=["blood_in_urine", "urinary_change"])

    assert codes(data["alerts"]) == ["blood_in_stool_or_urine"]
    assert data["alerts"][0]["level"] == "urgent"
    assert codes(api(patient).get("flags").json()["flags"]) == ["blood_in_stool_or_urine", "bladder_bowel_change"]


def test_it_alerts_flags_raised_by_earlier_checkins(patient: Any) -> None:
    """The alerts are what is active after this check-in, not only what this check-in reported."""
    post_checkin(patient, recorded_at=ago(days=2), symptoms=["blood_in_stool"])
    assert codes(post_checkin(patient, pain=2)["alerts"]) == ["blood_in_stool_or_urine"]


# --- GET trends ----------------------------------------------------------------


@pytest.fixture
def auckland_diary(patient: Any) -> dict[str, int]:
    """Pat, moved to Auckland, with four check-ins over her last two local dates (UTC dates differ)."""
    services.profile_update(user=patient, timezone_name="Pacific/Auckland")
    sent = {
        # Auckland 2026-03-20 09:00, which is 2026-03-19 in UTC.
        "morning": add_checkin(
            patient,
            datetime(2026, 3, 19, 20, 0, tzinfo=UTC),
            pain=6,
            fatigue=5,
            sleep_hours=7.5,
            symptoms=["nausea"],
            exercise_minutes=10,
        ),
        # Auckland 2026-03-20 14:00.
        "afternoon": add_checkin(
            patient, datetime(2026, 3, 20, 1, 0, tzinfo=UTC), pain=3, fatigue=7, exercise_minutes=20
        ),
        # Auckland 2026-03-20 21:00: no fatigue score, a weight, symptoms again.
        "evening": add_checkin(
            patient,
            datetime(2026, 3, 20, 8, 0, tzinfo=UTC),
            pain=2,
            weight_kg=70.5,
            symptoms=["nausea", "difficulty_sleeping"],
        ),
        # Auckland 2026-03-21 00:30, a night check-in of the new day (still Mar 20 in UTC).
        "night": add_checkin(patient, datetime(2026, 3, 20, 11, 30, tzinfo=UTC), pain=4, sleep_hours=3.0),
    }
    return {name: checkin.pk for name, checkin in sent.items()}


def test_it_answers_one_row_per_local_date_in_the_patients_zone(
    patient: Any, api: Any, auckland_diary: dict[str, int]
) -> None:
    """days=7: the 7 Auckland dates ending today, oldest first, each figure from that local date's check-ins."""
    response = api(patient).get("trends", days="7")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"days", "flags"}
    rows = data["days"]
    assert [row["date"] for row in rows] == [f"2026-03-{day}" for day in range(15, 22)]
    assert all(set(row) == DAY_KEYS for row in rows)
    assert rows[-2] == {
        "date": "2026-03-20",
        "checkins": 3,
        "pain_max": 6,
        "pain_mean": pytest.approx(11 / 3, abs=0.01),
        "pain_first": 6,
        "pain_last": 2,
        "fatigue_max": 7,
        "sleep_hours": 7.5,
        "weight_kg": 70.5,
        "exercise_minutes": 30,
        "symptoms": ["difficulty_sleeping", "nausea"],
        "as_needed_doses": 0,  # a day with a record: no dose logged is a known 0
    }
    assert rows[-1] == {
        "date": "2026-03-21",
        "checkins": 1,
        "pain_max": 4,
        "pain_mean": 4,
        "pain_first": 4,
        "pain_last": 4,
        "fatigue_max": None,
        "sleep_hours": 3.0,
        "weight_kg": None,
        "exercise_minutes": None,
        "symptoms": [],
        "as_needed_doses": 0,
    }
    for row in rows[:-2]:
        assert row["checkins"] == 0
        assert [row[key] for key in sorted(DAY_KEYS - {"date", "checkins", "symptoms"})] == [None] * 9
    assert data["flags"] == api(patient).get("flags").json()["flags"]


def test_it_shows_the_linked_therapist_the_trends_the_patient_sees(
    patient: Any, therapist: Any, api: Any, auckland_diary: dict[str, int]
) -> None:
    """patients/{id}/trends answers exactly what the patient's own GET trends does."""
    own = api(patient).get("trends", days="14")
    theirs = api(therapist).get(f"patients/{patient.pk}/trends", days="14")
    assert theirs.status_code == 200
    assert theirs.json() == own.json()
    assert len(own.json()["days"]) == 14


@pytest.mark.parametrize(("days", "rows"), [(None, 30), ("7", 7), ("365", 365), ("030", 30)])
def test_it_answers_the_days_asked_for_thirty_by_default(patient: Any, api: Any, days: str | None, rows: int) -> None:
    """days is 7 to 365, 30 when not given; the last row is today."""
    response = api(patient).get("trends", **({} if days is None else {"days": days}))
    assert response.status_code == 200
    assert len(response.json()["days"]) == rows
    assert response.json()["days"][-1]["date"] == TODAY.isoformat()


@pytest.mark.parametrize("days", ["6", "0", "-7", "366", "7.5", "7.0", "seven", " 7", "7 ", "٧", "１４"])
def test_it_refuses_days_out_of_range_or_not_a_whole_number(patient: Any, therapist: Any, api: Any, days: str) -> None:
    """400 with a message on days, for the patient and the therapist alike."""
    own = api(patient).get("trends", days=days)
    theirs = api(therapist).get(f"patients/{patient.pk}/trends", days=days)
    assert own.status_code == theirs.status_code == 400
    assert list(own.json()) == ["days"]


# --- acknowledgement ---------------------------------------------------------


def acknowledge(user: Any, patient: Any, code: str, note: str = "Called her; GP seeing her today.") -> Any:
    return Api(user).post(f"patients/{patient.pk}/flags/{code}/acknowledge", {"note": note})


def test_it_runs_the_acknowledgement_cycle(patient: Any, therapist: Any, api: Any) -> None:
    """Thea acknowledges; both sides see it; a check-in without new evidence keeps it; new evidence raises it."""
    blood = post_checkin(patient, recorded_at=ago(hours=3), symptoms=["blood_in_urine"])

    response = acknowledge(therapist, patient, "blood_in_stool_or_urine", "Called her; GP seeing her today.")

    assert response.status_code == 200, response.content
    flag = response.json()
    assert set(flag) >= FLAG_KEYS
    assert flag["code"] == "blood_in_stool_or_urine"
    assert flag["acknowledged"]["by"] == {"id": therapist.pk, "display_name": "Thea Therapist"}
    assert datetime.fromisoformat(flag["acknowledged"]["at"]) == NOW
    assert flag["acknowledged"]["note"] == "Called her; GP seeing her today."
    stored = FlagAcknowledgement.objects.get()
    assert (stored.patient, stored.therapist, stored.code) == (patient, therapist, "blood_in_stool_or_urine")
    assert stored.checkin_ids == [blood["id"]]

    # Both sides see it acknowledged; the note reaches the patient only if Thea chose to share it.
    theirs = api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"]
    assert flag_named(theirs, "blood_in_stool_or_urine")["acknowledged"] == flag["acknowledged"]
    own = api(patient).get("flags").json()["flags"]
    assert flag_named(own, "blood_in_stool_or_urine")["acknowledged"] == {**flag["acknowledged"], "note": None}

    # A check-in that adds nothing to the flag leaves it acknowledged.
    quiet = post_checkin(patient, recorded_at=ago(hours=2), pain=3, symptoms=["nausea"])
    assert flag_named(quiet["alerts"], "blood_in_stool_or_urine")["acknowledged"] == {
        **flag["acknowledged"],
        "note": None,
    }

    # Blood in the stool now, not only the urine: different evidence, so it is raised again, for both sides.
    again = post_checkin(patient, recorded_at=ago(hours=1), symptoms=["blood_in_stool"])
    raised = flag_named(again["alerts"], "blood_in_stool_or_urine")
    assert raised["acknowledged"] is None
    assert raised["evidence"]["checkin_ids"] == [blood["id"], again["id"]]
    theirs = api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"]
    assert flag_named(theirs, "blood_in_stool_or_urine")["acknowledged"] is None

    # Acknowledged anew, the latest acknowledgement is the one shown.
    second = acknowledge(therapist, patient, "blood_in_stool_or_urine", "Second call.").json()
    assert second["acknowledged"]["note"] == "Second call."
    assert FlagAcknowledgement.objects.count() == 2


def test_it_keeps_an_acknowledgement_to_its_own_flag(patient: Any, therapist: Any, api: Any) -> None:
    """Acknowledging blood in urine does not acknowledge the emergency flag beside it."""
    post_checkin(patient, symptoms=["blood_in_urine", "limb_weakness"])
    acknowledge(therapist, patient, "blood_in_stool_or_urine")
    flags = api(patient).get("flags").json()["flags"]
    assert flag_named(flags, "blood_in_stool_or_urine")["acknowledged"] is not None
    assert flag_named(flags, "spinal_cord_compression_signs")["acknowledged"] is None


def test_it_stores_nothing_when_a_stranger_acknowledges(
    patient: Any, therapist: Any, unlinked_therapist: Any, ended_therapist: Any, other_patient: Any
) -> None:
    """Uma and Ed get 404, patients 403, and no acknowledgement is stored; Pat's flag stays unacknowledged."""
    post_checkin(patient, symptoms=["blood_in_urine"])
    assert acknowledge(unlinked_therapist, patient, "blood_in_stool_or_urine").status_code == 404
    assert acknowledge(ended_therapist, patient, "blood_in_stool_or_urine").status_code == 404
    assert acknowledge(patient, patient, "blood_in_stool_or_urine").status_code == 403
    assert acknowledge(other_patient, patient, "blood_in_stool_or_urine").status_code == 403
    assert not FlagAcknowledgement.objects.exists()
    flags = Api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"]
    assert flag_named(flags, "blood_in_stool_or_urine")["acknowledged"] is None


@pytest.mark.parametrize(
    ("body", "note"), [({}, ""), ({"note": ""}, ""), ({"note": "x" * 1000}, "x" * 1000)], ids=["none", "empty", "long"]
)
def test_it_takes_an_acknowledgement_without_a_note_or_up_to_1000_characters(
    patient: Any, therapist: Any, body: dict[str, str], note: str
) -> None:
    """The note is optional."""
    post_checkin(patient, symptoms=["blood_in_urine"])
    response = Api(therapist).post(f"patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge", body)
    assert response.status_code == 200
    assert response.json()["acknowledged"]["note"] == note


@pytest.mark.parametrize("body", [{"note": "x" * 1001}, {"note": None}, {"note": ["a"]}, ["note"]])
def test_it_refuses_a_bad_note_and_stores_nothing(patient: Any, therapist: Any, body: Any) -> None:
    """400 for a note too long or not text."""
    post_checkin(patient, symptoms=["blood_in_urine"])
    response = Api(therapist).post(f"patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge", body)
    assert response.status_code == 400
    assert not FlagAcknowledgement.objects.exists()


def test_it_refuses_to_acknowledge_a_flag_that_has_gone(patient: Any, therapist: Any, api: Any) -> None:
    """A flag whose check-in was deleted is no longer active: 404, nothing stored."""
    blood = post_checkin(patient, symptoms=["blood_in_urine"])
    assert api(patient).delete(f"checkins/{blood['id']}").status_code == 204
    assert acknowledge(therapist, patient, "blood_in_stool_or_urine").status_code == 404
    assert not FlagAcknowledgement.objects.exists()


# --- GET patients: most urgent first ------------------------------------------


@pytest.fixture
def tess(db: Any) -> User:
    """Tess, a therapist whose patients the ordering tests build one by one."""
    return services.therapist_create(email="tess@example.com", password=PASSWORD, display_name="Tess")


def linked(therapist: User, name: str, *checkins: tuple[timedelta, dict[str, Any]]) -> User:
    """A patient of this therapist with check-ins (how long ago, answers)."""
    person = services.patient_signup(
        email=f"{name.lower()}@example.com", password=PASSWORD, timezone_name="Europe/London", display_name=name
    )
    services.link_create(patient=person, invite_code=therapist.invite_code)
    for before, answers in checkins:
        add_checkin(person, NOW - before, **answers)
    return person


def listed(therapist: User) -> list[dict[str, Any]]:
    response = Api(therapist).get("patients")
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_it_lists_patients_by_level_before_recency(tess: User) -> None:
    """Emergency, urgent, review, info, then none; level wins over a more recent check-in."""
    linked(tess, "Nora", (timedelta(hours=1), {"pain": 2}))  # nothing to flag, the latest check-in
    linked(tess, "Ivy", (timedelta(days=5), {"pain": 2}))  # silent for 5 days: info only
    linked(tess, "Rex", (timedelta(hours=2), {"symptoms": ["urinary_change"]}))  # review only
    linked(tess, "Una", (timedelta(hours=3), {"symptoms": ["blood_in_urine"]}))  # urgent
    linked(tess, "Emma", (timedelta(hours=4), {"symptoms": ["limb_weakness"]}))  # emergency, the oldest of today
    linked(tess, "Zed")  # never checked in

    rows = listed(tess)

    assert [row["display_name"] for row in rows] == ["Emma", "Una", "Rex", "Ivy", "Nora", "Zed"]
    assert [row["top_level"] for row in rows] == ["emergency", "urgent", "review", "info", None, None]
    assert [codes(row["flags"]) for row in rows] == [
        ["spinal_cord_compression_signs"],
        ["blood_in_stool_or_urine"],
        ["bladder_bowel_change"],
        ["missed_checkins"],
        [],
        [],
    ]
    for row in rows:
        # The contract's fields, and adherence (an extra field, issue 13).
        assert set(row) == {"id", "display_name", "last_checkin_at", "top_level", "flags", "adherence"}
        assert [RANK[flag["level"]] for flag in row["flags"]] == sorted(RANK[flag["level"]] for flag in row["flags"])
    assert rows[-1]["last_checkin_at"] is None


def test_it_lists_unacknowledged_before_acknowledged_then_the_latest_checkin_first(tess: User) -> None:
    """Within a level: a patient with an unacknowledged flag first, then the most recent check-in."""
    ann = linked(tess, "Ann", (timedelta(hours=1), {"symptoms": ["blood_in_urine"]}))
    linked(tess, "Ben", (timedelta(hours=2), {"symptoms": ["blood_in_urine"]}))
    emma = linked(tess, "Emma", (timedelta(hours=3), {"symptoms": ["limb_weakness"]}))
    linked(tess, "Cal", (timedelta(hours=4), {"symptoms": ["blood_in_stool", "urinary_change"]}))

    assert [row["display_name"] for row in listed(tess)] == ["Emma", "Ann", "Ben", "Cal"]

    # Ann's only urgent flag seen: she drops below the unseen urgent ones. Emma's emergency, seen,
    # still comes before every urgent flag.
    assert acknowledge(tess, ann, "blood_in_stool_or_urine").status_code == 200
    assert acknowledge(tess, emma, "spinal_cord_compression_signs").status_code == 200
    rows = listed(tess)
    assert [row["display_name"] for row in rows] == ["Emma", "Ben", "Cal", "Ann"]
    assert rows[0]["flags"][0]["acknowledged"]["by"]["display_name"] == "Tess"

    # Acknowledging only Cal's review flag leaves his urgent one unseen: he stays among the unseen.
    cal = User.objects.get(display_name="Cal")
    assert acknowledge(tess, cal, "bladder_bowel_change").status_code == 200
    assert [row["display_name"] for row in listed(tess)] == ["Emma", "Ben", "Cal", "Ann"]

    # Blood in urine again for Ann, within the follow-up: added to the evidence, still acknowledged.
    add_checkin(ann, NOW - timedelta(minutes=6), symptoms=["blood_in_urine"])
    assert [row["display_name"] for row in listed(tess)] == ["Emma", "Ben", "Cal", "Ann"]

    # Blood in the stool for Ann: different, so raised again, and her check-in is now the latest of all.
    add_checkin(ann, NOW - timedelta(minutes=5), symptoms=["blood_in_stool"])
    assert [row["display_name"] for row in listed(tess)] == ["Emma", "Ann", "Ben", "Cal"]


# --- stored flags agree with a fresh evaluation ------------------------------


def entries_of(patient: User) -> list[trends.Entry]:
    """The patient's check-ins as the trend module takes them, built here from the rows, not by selectors."""
    zone = ZoneInfo(patient.timezone)
    entries = []
    for checkin in CheckIn.objects.filter(patient=patient):
        local = checkin.recorded_at.astimezone(zone)
        entries.append(
            trends.Entry(
                id=checkin.pk,
                local_date=local.date(),
                local_time=local.time(),
                part_of_day=("night", "morning", "afternoon", "evening")[local.hour // 6],
                pain=checkin.pain,
                movement_effect=checkin.movement_effect,
                fatigue=checkin.fatigue,
                rest_helped=checkin.rest_helped,
                sleep_hours=checkin.sleep_hours,
                woke_from_pain=checkin.woke_from_pain,
                weight_kg=checkin.weight_kg,
                symptoms=frozenset(checkin.symptoms),
            )
        )
    return entries


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def assert_stored_flags_are_fresh(patient: User) -> FlagState:
    """The FlagState in the database is what the trend module says about the diary now."""
    patient = User.objects.get(pk=patient.pk)
    stored = FlagState.objects.get(patient=patient)
    today = datetime.now(UTC).astimezone(ZoneInfo(patient.timezone)).date()
    fresh = flag_state_for(patient=patient, as_of=today, entries=entries_of(patient))
    assert stored.as_of == fresh.as_of == today
    assert as_json(stored.flags) == as_json(fresh.flags)
    assert stored.not_enough_data == list(fresh.not_enough_data)
    assert (stored.top_level, stored.top_rank) == (fresh.top_level, fresh.top_rank)
    return stored


SOME_SYMPTOMS = [
    "limb_numbness_tingling",
    "urinary_change",
    "night_sweats",
    "difficulty_sleeping",
    "blood_in_stool",
    "pain_worse_straining",
    "unexplained_weight_loss",
    "nausea",
]


def random_diary(patient: User, seed: int, days: int = 40) -> list[CheckIn]:
    """Up to three check-ins a day for `days` days, with answers that make several rules fire."""
    rng = random.Random(seed)
    checkins = []
    for day in range(days, -1, -1):
        for hour in sorted(rng.sample([2, 7, 9, 13, 16, 19, 22], rng.randint(0, 3))):
            moment = NOW.replace(hour=0) - timedelta(days=day) + timedelta(hours=hour, minutes=rng.randint(0, 59))
            if moment > NOW:
                continue
            answers: dict[str, Any] = {
                "pain": rng.choice([None, *range(11)]),
                "fatigue": rng.choice([None, *range(11)]),
                "movement_effect": rng.choice([None, "worse", "no_change", "better"]),
                "rest_helped": rng.choice([None, "yes", "somewhat", "no"]),
                "sleep_hours": rng.choice([None, 4.0, 6.5, 8.0]),
                "woke_from_pain": rng.choice([None, True, False]),
                "weight_kg": rng.choice([None, None, None, round(rng.uniform(60, 75), 1)]),
                "symptoms": [code for code in SOME_SYMPTOMS if rng.random() < 0.08],
            }
            if answers["pain"] is None and answers["fatigue"] is None:
                answers["pain"] = 3
            checkins.append(add_checkin(patient, moment, **answers))
    return checkins


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_it_stores_the_flags_a_fresh_evaluation_finds(patient: Any, api: Any, clock: Any, seed: int) -> None:
    """After check-ins, edits, deletes, a new zone, a new therapy date, and days passing, stored = fresh."""
    rng = random.Random(seed)
    checkins = random_diary(patient, seed)
    pat = api(patient)
    assert_stored_flags_are_fresh(patient)

    # Edits through the API: symptoms added and taken away, a pain score, a time moved across midnight.
    for checkin in rng.sample(checkins, 6):
        change = rng.choice(
            [
                {"symptoms": ["blood_in_urine", "limb_weakness"]},
                {"symptoms": []},
                {"pain": rng.randint(0, 10), "woke_from_pain": True},
                {"recorded_at": (checkin.recorded_at - timedelta(hours=rng.randint(1, 30))).isoformat()},
            ]
        )
        assert pat.patch(f"checkins/{checkin.pk}", change).status_code == 200
        assert_stored_flags_are_fresh(patient)

    # Deletes through the API.
    for checkin in rng.sample(checkins, 4):
        if CheckIn.objects.filter(pk=checkin.pk).exists():
            assert pat.delete(f"checkins/{checkin.pk}").status_code == 204
            assert_stored_flags_are_fresh(patient)

    # A new zone moves check-ins between dates and moves today; a therapy date moves the baseline.
    assert pat.patch("me", {"timezone": "Pacific/Auckland"}).status_code == 200
    assert_stored_flags_are_fresh(patient)
    assert pat.patch("me", {"therapy_started_on": (TODAY - timedelta(days=30)).isoformat()}).status_code == 200
    assert_stored_flags_are_fresh(patient)
    assert pat.patch("me", {"timezone": "America/Los_Angeles", "therapy_started_on": None}).status_code == 200
    assert_stored_flags_are_fresh(patient)

    # Days pass: the stored state is yesterday's until the next read, which judges today's windows.
    for _ in range(3):
        yesterday = FlagState.objects.get(patient=patient).as_of
        clock.shift(timedelta(days=1))
        assert FlagState.objects.get(patient=patient).as_of == yesterday
        answer = pat.get("flags").json()
        stored = assert_stored_flags_are_fresh(patient)
        assert answer["as_of"] == stored.as_of.isoformat() == (yesterday + timedelta(days=1)).isoformat()
        assert codes(answer["flags"]) == [flag["code"] for flag in stored.flags]
        assert answer["not_enough_data"] == stored.not_enough_data


def test_it_judges_pain_against_a_therapy_baseline_older_than_a_year(patient: Any, api: Any, clock: Any) -> None:
    """Therapy began 420 days ago: the stored flags still compare with the week before it began."""
    began = TODAY - timedelta(days=420)
    clock.move_to(NOW - timedelta(days=420))
    for day in range(1, 8):
        add_checkin(patient, NOW - timedelta(days=420 + day), pain=8)
    clock.move_to(NOW)
    for day in range(7):
        add_checkin(patient, NOW - timedelta(days=day, hours=1), pain=7)

    assert api(patient).patch("me", {"therapy_started_on": began.isoformat()}).status_code == 200

    stored = assert_stored_flags_are_fresh(patient)
    assert "pain_not_improving" in [flag["code"] for flag in stored.flags]
    assert "pain_not_improving" in codes(api(patient).get("flags").json()["flags"])


def test_it_lets_flags_expire_when_the_day_turns(patient: Any, therapist: Any, api: Any, clock: Any) -> None:
    """Blood reported 13 days ago is in the last 14 days today, and not tomorrow: the window slides."""
    add_checkin(patient, NOW - timedelta(days=13), symptoms=["blood_in_urine"], pain=2)
    add_checkin(patient, NOW - timedelta(hours=1), pain=2)
    assert codes(api(patient).get("flags").json()["flags"]) == ["blood_in_stool_or_urine"]

    clock.shift(timedelta(days=1))

    # The therapist's list is the first read of the new day: it judges afresh, and stores it.
    rows = {row["id"]: row for row in listed(therapist)}
    assert rows[patient.pk]["flags"] == []
    assert rows[patient.pk]["top_level"] is None
    assert api(patient).get("flags").json() == {
        "as_of": "2026-03-21",
        "flags": [],
        "not_enough_data": assert_stored_flags_are_fresh(patient).not_enough_data,
    }


def test_it_raises_missed_checkins_when_three_days_pass_in_silence(patient: Any, api: Any, clock: Any) -> None:
    """No write happens, yet on the third silent day missed_checkins appears: read from a fresh state."""
    add_checkin(patient, NOW - timedelta(hours=1), pain=2)
    for _ in range(2):
        clock.shift(timedelta(days=1))
        assert "missed_checkins" not in codes(api(patient).get("flags").json()["flags"])
    clock.shift(timedelta(days=1))
    assert codes(api(patient).get("flags").json()["flags"]) == ["missed_checkins"]
    assert_stored_flags_are_fresh(patient)


# --- query counts ---------------------------------------------------------------


def therapist_with_patients(number: int, name: str) -> User:
    """A therapist with `number` linked patients, each with two weeks of check-ins and flags stored."""
    therapist = services.therapist_create(email=f"{name}@example.com", password=PASSWORD, display_name=name)
    patients = []
    for index in range(number):
        person = services.patient_signup(
            email=f"{name}-{index}@example.com",
            password=PASSWORD,
            timezone_name=["Europe/London", "Pacific/Auckland", "America/Los_Angeles"][index % 3],
        )
        services.link_create(patient=person, invite_code=therapist.invite_code)
        patients.append(person)
    rows = []
    for index, person in enumerate(patients):
        for day in range(14):
            for hours in (8, 20):
                recorded_at = NOW - timedelta(days=day, hours=hours)
                local_date, part_of_day = services.local_moment(recorded_at, person.timezone)
                rows.append(
                    CheckIn(
                        patient=person,
                        recorded_at=recorded_at,
                        local_date=local_date,
                        part_of_day=part_of_day,
                        pain=(index + day + hours) % 11,
                        fatigue=(index * day) % 11,
                        symptoms=[Symptom.values[(index + day) % len(Symptom.values)]] if day % 5 == 0 else [],
                    )
                )
    CheckIn.objects.bulk_create(rows)
    flags_refresh_many(patients=patients)
    return therapist


def queries_for_list(therapist: User) -> int:
    client = Api(therapist)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("patients")
    assert response.status_code == 200
    return len(captured)


def test_it_lists_patients_in_the_same_queries_for_5_as_for_50(db: Any, clock: Any) -> None:
    """GET patients: no query per patient, whether the stored flags are fresh or all a day old."""
    few = therapist_with_patients(5, "few")
    many = therapist_with_patients(50, "many")
    assert len(Api(many).get("patients").json()) == 50

    # Session, user, the second step's device (diary/mfa.py), patients, stored flags, acknowledgements,
    # and the access audit's rows: one insert for all (SQLite takes at most 90 rows an insert, so a
    # list of hundreds takes a few); adherence: days with a check-in, and whose reminders are on.
    fresh = queries_for_list(few)
    assert fresh == queries_for_list(many) == 9

    clock.shift(timedelta(days=1))
    stale_few, stale_many = queries_for_list(few), queries_for_list(many)
    # The refresh adds: lock the diaries, read their check-ins and their doses, store the flags, and the
    # savepoint around them.
    assert stale_few == stale_many == fresh + 6
    assert queries_for_list(few) == queries_for_list(many) == fresh


def test_it_reads_one_patients_flags_in_a_fixed_number_of_queries(
    patient: Any, api: Any, django_assert_num_queries: Any
) -> None:
    """GET flags: session, user, stored flags, acknowledgements; however long the diary."""
    for day in range(30):
        add_checkin(patient, NOW - timedelta(days=day), pain=day % 10, symptoms=["night_sweats"])
    pat = api(patient)
    with django_assert_num_queries(4):
        assert pat.get("flags").status_code == 200


def test_it_reads_only_each_patients_latest_acknowledgement_of_each_flag(
    patient: Any, other_patient: Any, therapist: Any
) -> None:
    """The latest by time, then by id when two share a moment; per patient and per code (DISTINCT ON on PostgreSQL)."""

    def ack(who: User, code: str, at: datetime, note: str) -> FlagAcknowledgement:
        return FlagAcknowledgement.objects.create(patient=who, therapist=therapist, code=code, at=at, note=note)

    ack(patient, "blood_in_stool_or_urine", NOW - timedelta(days=2), "older")
    newest = ack(patient, "blood_in_stool_or_urine", NOW - timedelta(days=1), "newest")
    ack(patient, "blood_in_stool_or_urine", NOW - timedelta(days=3), "oldest, written last")
    ack(patient, "nausea_persistent", NOW, "tied, written first")
    tied_last = ack(patient, "nausea_persistent", NOW, "tied, written last")
    theirs = ack(other_patient, "blood_in_stool_or_urine", NOW - timedelta(days=5), "the other patient's")

    latest = latest_acknowledgements([patient.pk, other_patient.pk])

    assert {key: ack.pk for key, ack in latest.items()} == {
        (patient.pk, "blood_in_stool_or_urine"): newest.pk,
        (patient.pk, "nausea_persistent"): tied_last.pk,
        (other_patient.pk, "blood_in_stool_or_urine"): theirs.pk,
    }
    assert latest_acknowledgements([other_patient.pk]) == {(other_patient.pk, "blood_in_stool_or_urine"): theirs}
    assert latest[(patient.pk, "nausea_persistent")].therapist.name == therapist.name  # read with its therapist
