"""A patient's own check-ins through /api/v1/checkins: store once, list, read, correct, delete, refuse bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import time_machine

from diary.models import CheckIn
from tests.conftest import checkin_body

# Every test runs at this instant, so "a minute ago" and "a year ago" are fixed.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)

# Every field of a check-in that API.md names, and what the server adds.
CHECKIN_KEYS = {
    "id",
    "client_uuid",
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
    "local_date",
    "part_of_day",
}


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def at(**delta: float) -> str:
    """An ISO time relative to NOW, in UTC as a browser sends it."""
    return (NOW + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def full_body(**fields: Any) -> dict[str, Any]:
    """A check-in with every field filled in."""
    every = {
        "recorded_at": at(minutes=-30),
        "pain": 7,
        "pain_locations": ["lower_back", "leg_left"],
        "movement_effect": "worse",
        "fatigue": 5,
        "rest_helped": "somewhat",
        "sleep_hours": 6.5,
        "woke_from_pain": True,
        "weight_kg": 71.4,
        "exercise_minutes": 20,
        "symptoms": ["night_sweats", "nausea"],
        "notes": "Stiff after the bus ride.",
    }
    return checkin_body(**{**every, **fields})


# --- create and replay ----------------------------------------------------


def test_it_stores_a_checkin_and_answers_with_every_field(patient: Any, api: Any) -> None:
    """201 with the stored check-in: every field of API.md, the local date and part of day, and its alerts."""
    body = full_body()
    response = api(patient).post("checkins", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) >= CHECKIN_KEYS
    # Night sweats once and nausea are nothing to act on at once: the list is there, and empty.
    assert data["alerts"] == []
    stored = CheckIn.objects.get()
    assert data["id"] == stored.pk
    assert stored.patient == patient
    assert stored.client_uuid == UUID(body["client_uuid"])
    assert stored.recorded_at == NOW - timedelta(minutes=30)
    for name in ("pain", "pain_locations", "movement_effect", "fatigue", "rest_helped", "sleep_hours"):
        assert getattr(stored, name) == body[name] == data[name], name
    for name in ("woke_from_pain", "weight_kg", "exercise_minutes", "symptoms", "notes"):
        assert getattr(stored, name) == body[name] == data[name], name
    # Pat lives in London, on GMT in March: 11:30 local.
    assert data["recorded_at"] == "2026-03-20T11:30:00+00:00"
    assert (data["local_date"], data["part_of_day"]) == ("2026-03-20", "morning")
    assert (stored.local_date, stored.part_of_day) == (date(2026, 3, 20), "morning")


def test_it_answers_a_replayed_checkin_with_the_stored_one_and_stores_nothing(patient: Any, api: Any) -> None:
    """The same client_uuid again: 200 with the row stored the first time, even if the body differs."""
    client = api(patient)
    body = full_body()
    first = client.post("checkins", body)
    again = client.post("checkins", body)
    changed = client.post("checkins", {**body, "pain": 2, "notes": "a different phone draft"})

    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 200)
    assert again.json() == first.json()
    assert changed.json() == first.json()
    assert isinstance(again.json()["alerts"], list)
    stored = CheckIn.objects.get()
    assert (stored.pain, stored.notes) == (7, "Stiff after the bus ride.")


def test_it_answers_a_replay_with_the_checkin_as_corrected_since(patient: Any, api: Any) -> None:
    """A replay after a PATCH returns the current row, not the original body."""
    client = api(patient)
    body = checkin_body(pain=4)
    checkin_id = client.post("checkins", body).json()["id"]
    client.patch(f"checkins/{checkin_id}", {"pain": 3})

    again = client.post("checkins", body)

    assert again.status_code == 200
    assert again.json()["pain"] == 3
    assert CheckIn.objects.count() == 1


def test_it_refuses_another_patients_client_uuid_revealing_nothing(patient: Any, other_patient: Any, api: Any) -> None:
    """Olive reusing Pat's client_uuid gets 409 with a bare message, and Pat's row is untouched."""
    body = full_body(notes="pat-private-words")
    pat_answer = api(patient).post("checkins", body).json()

    response = api(other_patient).post("checkins", {**body, "notes": "olive"})

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    text = response.content.decode()
    for leaked in ("pat-private-words", str(pat_answer["id"]), "lower_back", "pat@example.com", "Pat"):
        assert leaked not in text
    stored = CheckIn.objects.get()
    assert (stored.patient, stored.notes) == (patient, "pat-private-words")


def test_it_refuses_a_post_without_the_csrf_token(patient: Any, api: Any) -> None:
    """A signed-in browser session cannot be made to write by a forged cross-site request."""
    client = api(patient).client
    response = client.post("/api/v1/checkins", json.dumps(checkin_body()), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_ignores_unknown_fields_and_computes_its_own(patient: Any, api: Any) -> None:
    """Unknown fields are ignored, and the id, local date and part of day are the server's, not the body's."""
    body = checkin_body(
        recorded_at="2026-03-20T08:00:00Z",
        mood="grey",
        id=999999,
        local_date="1999-01-01",
        part_of_day="evening",
        created_at="2000-01-01T00:00:00Z",
    )
    response = api(patient).post("checkins", body)

    assert response.status_code == 201, response.content
    stored = CheckIn.objects.get()
    assert stored.pk != 999999
    assert (stored.local_date, stored.part_of_day, stored.created_at) == (date(2026, 3, 20), "morning", NOW)
    assert "mood" not in response.json()


@pytest.mark.parametrize(
    "fields",
    [
        {"pain": 0},
        {"fatigue": 0},
        {"symptoms": ["nausea"]},
        {"weight_kg": 64},
        {"sleep_hours": 0},
    ],
    ids=lambda fields: next(iter(fields)),
)
def test_it_accepts_any_one_reportable_field_alone(patient: Any, api: Any, fields: dict[str, Any]) -> None:
    """One of pain, fatigue, symptoms, weight or sleep is enough, even a zero."""
    body = {"client_uuid": str(uuid4()), "recorded_at": at(minutes=-1), **fields}
    response = api(patient).post("checkins", body)
    assert response.status_code == 201, response.content
    name, value = next(iter(fields.items()))
    assert getattr(CheckIn.objects.get(), name) == value


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"pain": None, "fatigue": None, "weight_kg": None, "sleep_hours": None},
        {"symptoms": []},
        {"notes": "only a note"},
        {"pain_locations": ["neck"], "movement_effect": "worse"},
        {"exercise_minutes": 30, "woke_from_pain": True, "rest_helped": "yes"},
    ],
    ids=["nothing", "all-null", "no-symptoms", "notes", "locations", "extras"],
)
def test_it_refuses_a_checkin_that_reports_nothing(patient: Any, api: Any, fields: dict[str, Any]) -> None:
    """Without pain, fatigue, a symptom, weight or sleep there is nothing to chart: 400, nothing stored."""
    body = {"client_uuid": str(uuid4()), "recorded_at": at(minutes=-1), **fields}
    response = api(patient).post("checkins", body)
    assert response.status_code == 400
    assert "pain" in response.json()["detail"]
    assert not CheckIn.objects.exists()


def test_it_stores_each_code_once(patient: Any, api: Any) -> None:
    """A location or symptom tapped twice is one location or symptom."""
    body = checkin_body(pain_locations=["neck", "neck", "other"], symptoms=["nausea", "nausea"])
    response = api(patient).post("checkins", body)
    assert response.status_code == 201
    stored = CheckIn.objects.get()
    assert (stored.pain_locations, stored.symptoms) == (["neck", "other"], ["nausea"])


def test_it_accepts_json_with_a_charset(patient: Any, api: Any) -> None:
    """``application/json; charset=utf-8`` is JSON too."""
    response = api(patient).post("checkins", checkin_body(), content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    assert CheckIn.objects.count() == 1


def test_it_accepts_notes_of_exactly_2000_characters(patient: Any, api: Any) -> None:
    """2000 characters is the limit, and the limit itself is allowed (counted in characters, not bytes)."""
    notes = "ä" * 1999 + "\u2603"
    response = api(patient).post("checkins", checkin_body(notes=notes))
    assert response.status_code == 201
    assert CheckIn.objects.get().notes == notes


@pytest.mark.parametrize("minutes", [-365 * 24 * 60 + 1, 4])
def test_it_accepts_times_just_inside_the_window(patient: Any, api: Any, minutes: int) -> None:
    """Up to 365 days ago and up to 5 minutes ahead (a phone clock a little fast) are accepted."""
    response = api(patient).post("checkins", checkin_body(recorded_at=at(minutes=minutes)))
    assert response.status_code == 201, response.content
    assert CheckIn.objects.get().recorded_at == NOW + timedelta(minutes=minutes)


# --- bad input ---------------------------------------------------------------

BAD_SCORES = [11, -1, "7", 7.5, "٧", True, "", [7], {"value": 7}]


@pytest.mark.parametrize("value", BAD_SCORES, ids=repr)
@pytest.mark.parametrize("name", ["pain", "fatigue"])
def test_it_refuses_a_score_that_is_not_a_json_integer_from_0_to_10(
    patient: Any, api: Any, name: str, value: Any
) -> None:
    """Scores are JSON integers 0–10: no strings, decimals, booleans or other scripts' digits."""
    response = api(patient).post("checkins", checkin_body(**{name: value}))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]
    assert isinstance(response.json()[name][0], str)
    assert not CheckIn.objects.exists()


BAD_FIELDS = [
    ("pain_locations", ["lower_back", "elbow"]),
    ("pain_locations", "lower_back"),
    ("symptoms", ["nausea", "headache"]),
    ("symptoms", "nausea"),
    ("movement_effect", "sideways"),
    ("rest_helped", "maybe"),
    ("recorded_at", "2026-03-20T11:00:00"),
    ("recorded_at", "2026-03-20"),
    ("recorded_at", at(minutes=10)),
    ("recorded_at", at(days=-400)),
    ("recorded_at", at(days=-365, minutes=-1)),
    ("recorded_at", "yesterday"),
    ("recorded_at", 1773950400),
    ("recorded_at", None),
    ("client_uuid", "not-a-uuid"),
    ("client_uuid", None),
    ("notes", "x" * 2001),
    ("notes", "before\x00after"),
    ("notes", None),
    ("sleep_hours", 25),
    ("sleep_hours", -0.5),
    ("sleep_hours", "8"),
    ("weight_kg", 19),
    ("weight_kg", 401),
    ("weight_kg", "70"),
    ("exercise_minutes", 1441),
    ("exercise_minutes", -5),
    ("exercise_minutes", 12.5),
    ("exercise_minutes", "30"),
    ("woke_from_pain", "yes"),
    ("woke_from_pain", 1),
    ("woke_from_pain", "true"),
    ("patient", 1),
    ("owner", 1),
]


@pytest.mark.parametrize(("name", "value"), BAD_FIELDS, ids=lambda value: repr(value)[:30])
def test_it_refuses_a_bad_field_naming_it(patient: Any, other_patient: Any, api: Any, name: str, value: Any) -> None:
    """Each bad value gets 400 with messages under the field's name, and nothing is stored."""
    if name in ("patient", "owner"):
        value = other_patient.pk
    response = api(patient).post("checkins", checkin_body(**{name: value}))
    assert response.status_code == 400, response.content
    messages = response.json()[name]
    # API.md's shape: {"field": ["message", ...]}, even for a bad item inside a list.
    assert isinstance(messages, list), messages
    assert messages
    assert all(isinstance(message, str) for message in messages), messages
    assert not CheckIn.objects.exists()


def test_it_refuses_a_missing_client_uuid_and_recorded_at(patient: Any, api: Any) -> None:
    """The idempotency key and the time are required."""
    response = api(patient).post("checkins", {"pain": 3})
    assert response.status_code == 400
    assert set(response.json()) == {"client_uuid", "recorded_at"}
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b'{"pain": 4,', b"[1, 2]", b"null", b'"text"', b'{"pain": NaN}', b'{"weight_kg": Infinity}', b"\xff\xfe"],
    ids=["truncated", "list", "null", "string", "nan", "infinity", "not-utf8"],
)
def test_it_refuses_a_body_that_is_not_a_json_object(patient: Any, api: Any, raw: bytes) -> None:
    """Malformed JSON, or JSON that is not an object, gets 400 with a message; nothing is stored."""
    response = api(patient).post("checkins", raw)
    assert response.status_code == 400, response.content
    assert response.json()
    assert not CheckIn.objects.exists()


def test_it_refuses_a_huge_body_with_413_in_json(patient: Any, api: Any) -> None:
    """A 5 MB body gets 413 as JSON (not an HTML error page), and nothing is stored."""
    body = checkin_body(notes="x" * (5 * 1024 * 1024))
    response = api(patient).post("checkins", body)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", "pain=4&fatigue=3&recorded_at=2026-03-20T11%3A59%3A00Z"),
        ("text/plain", '{"pain": 4}'),
        ("application/xml", "<checkin><pain>4</pain></checkin>"),
    ],
    ids=["form", "text", "xml"],
)
def test_it_refuses_a_body_that_is_not_json_with_415(patient: Any, api: Any, content_type: str, raw: str) -> None:
    """Only JSON is accepted: anything else is 415 with a JSON message."""
    response = api(patient).post("checkins", raw, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["detail"]
    assert not CheckIn.objects.exists()


# --- list --------------------------------------------------------------------


def test_it_lists_own_checkins_newest_first_paginated(patient: Any, other_patient: Any, api: Any) -> None:
    """{count, next, previous, results}, newest recorded_at first, the caller's own rows only."""
    client = api(patient)
    for hours in (5, 1, 3):  # stored out of order on purpose
        client.post("checkins", checkin_body(recorded_at=at(hours=-hours), pain=hours))
    api(other_patient).post("checkins", checkin_body(pain=9))

    response = client.get("checkins")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert (data["count"], data["next"], data["previous"]) == (3, None, None)
    assert [row["pain"] for row in data["results"]] == [1, 3, 5]
    assert all("alerts" not in row for row in data["results"])


def test_it_pages_through_the_list(patient: Any, api: Any) -> None:
    """page_size and next/previous walk the whole list without repeats."""
    client = api(patient)
    for minutes in range(5):
        client.post("checkins", checkin_body(recorded_at=at(minutes=-minutes - 1), pain=minutes))

    first = client.get("checkins", page_size="2").json()
    second = client.client.get(first["next"]).json()
    third = client.client.get(second["next"]).json()

    assert first["count"] == 5
    assert first["previous"] is None
    assert third["next"] is None
    assert second["previous"] is not None
    pains = [row["pain"] for page in (first, second, third) for row in page["results"]]
    assert pains == [0, 1, 2, 3, 4]


def test_it_lists_a_patient_without_checkins_as_empty(patient: Any, api: Any) -> None:
    """No check-ins is an empty page, not an error."""
    response = api(patient).get("checkins")
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_filters_by_the_patients_local_date(other_patient: Any, api: Any) -> None:
    """since/until are dates in the patient's zone, inclusive: Olive's 05:00 UTC is the evening before in LA."""
    client = api(other_patient)
    # 2026-03-15 05:00 UTC is 22:00 on the 14th in Los Angeles (PDT, −7).
    late_on_14th = client.post("checkins", checkin_body(recorded_at="2026-03-15T05:00:00Z")).json()["id"]
    on_15th = client.post("checkins", checkin_body(recorded_at="2026-03-15T20:00:00Z")).json()["id"]
    on_16th = client.post("checkins", checkin_body(recorded_at="2026-03-16T18:00:00Z")).json()["id"]

    def ids(**params: str) -> list[int]:
        response = client.get("checkins", **params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(since="2026-03-15") == [on_16th, on_15th]
    assert ids(until="2026-03-14") == [late_on_14th]
    assert ids(since="2026-03-15", until="2026-03-15") == [on_15th]
    assert ids(since="2026-03-14", until="2026-03-16") == [on_16th, on_15th, late_on_14th]


@pytest.mark.parametrize(
    "params",
    [{"since": "15/03/2026"}, {"until": "2026-02-30"}, {"since": "2026-03-16", "until": "2026-03-15"}],
    ids=["format", "no-such-day", "reversed"],
)
def test_it_refuses_a_bad_date_range(patient: Any, api: Any, params: dict[str, str]) -> None:
    """A date that is not YYYY-MM-DD, or since after until, is 400 naming the parameter."""
    response = api(patient).get("checkins", **params)
    assert response.status_code == 400
    assert set(response.json()) & {"since", "until"}


def test_it_lists_without_a_query_per_checkin(patient: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    """The list costs the same few queries for 30 check-ins as for one."""
    client = api(patient)
    for minutes in range(30):
        client.post("checkins", checkin_body(recorded_at=at(minutes=-minutes - 1)))
    with django_assert_max_num_queries(4):
        response = client.get("checkins")
    assert response.json()["count"] == 30


# --- one check-in -----------------------------------------------------------


@pytest.fixture
def stored(patient: Any, api: Any) -> CheckIn:
    """One of Pat's check-ins, with every field filled."""
    response = api(patient).post("checkins", full_body())
    return CheckIn.objects.get(pk=response.json()["id"])


def test_it_reads_one_own_checkin(patient: Any, api: Any, stored: CheckIn) -> None:
    """GET checkins/{id} answers the same representation as the create."""
    response = api(patient).get(f"checkins/{stored.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == stored.pk
    assert response.json()["notes"] == stored.notes
    assert "alerts" not in response.json()


def test_it_corrects_a_checkin(patient: Any, api: Any, stored: CheckIn) -> None:
    """PATCH changes only the fields sent, and moves local_date and part_of_day with recorded_at."""
    response = api(patient).patch(
        f"checkins/{stored.pk}", {"pain": 2, "symptoms": [], "recorded_at": "2026-03-19T21:15:00+00:00"}
    )

    assert response.status_code == 200, response.content
    stored.refresh_from_db()
    assert (stored.pain, stored.symptoms, stored.fatigue, stored.notes) == (2, [], 5, "Stiff after the bus ride.")
    assert (stored.local_date, stored.part_of_day) == (date(2026, 3, 19), "evening")
    assert response.json()["part_of_day"] == "evening"


def test_it_never_changes_the_client_uuid(patient: Any, api: Any, stored: CheckIn) -> None:
    """client_uuid is the idempotency key; a PATCH cannot move it."""
    original = stored.client_uuid
    response = api(patient).patch(f"checkins/{stored.pk}", {"client_uuid": str(uuid4()), "pain": 1})
    assert response.status_code == 200
    assert response.json()["client_uuid"] == str(original)
    stored.refresh_from_db()
    assert (stored.client_uuid, stored.pain) == (original, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"pain": 11},
        {"pain": "3"},
        {"fatigue": 2.5},
        {"recorded_at": at(minutes=10)},
        {"recorded_at": "2026-03-19T10:00:00"},
        {"notes": "x" * 2001},
        {"symptoms": ["headache"]},
        {"patient": 1},
        {"owner": 1},
        {"pain": None, "fatigue": None, "sleep_hours": None, "weight_kg": None, "symptoms": []},
    ],
    ids=repr,
)
def test_it_refuses_a_bad_correction(patient: Any, api: Any, stored: CheckIn, change: dict[str, Any]) -> None:
    """A PATCH is held to the same rules as a create: 400 and the row unchanged."""
    before = CheckIn.objects.filter(pk=stored.pk).values().get()
    response = api(patient).patch(f"checkins/{stored.pk}", change)
    assert response.status_code == 400, response.content
    assert CheckIn.objects.filter(pk=stored.pk).values().get() == before


def test_it_corrects_the_notes_of_a_checkin_now_over_a_year_old(patient: Any, api: Any) -> None:
    """The 365-day window applies to the time sent, not to a row that has aged past it since."""
    client = api(patient)
    checkin_id = client.post("checkins", checkin_body(recorded_at=at(days=-364))).json()["id"]
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        response = client.patch(f"checkins/{checkin_id}", {"notes": "remembered more"})
    assert response.status_code == 200, response.content
    assert CheckIn.objects.get().notes == "remembered more"


def test_it_deletes_a_checkin(patient: Any, api: Any, stored: CheckIn) -> None:
    """DELETE is 204, the row is gone, and a second DELETE is 404."""
    client = api(patient)
    assert client.delete(f"checkins/{stored.pk}").status_code == 204
    assert not CheckIn.objects.exists()
    assert client.delete(f"checkins/{stored.pk}").status_code == 404
    assert client.get(f"checkins/{stored.pk}").status_code == 404


def test_it_refuses_a_huge_correction_with_413(patient: Any, api: Any, stored: CheckIn) -> None:
    """The body limit holds for PATCH too, and the row is unchanged."""
    response = api(patient).patch(f"checkins/{stored.pk}", {"notes": "x" * (5 * 1024 * 1024)})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    stored.refresh_from_db()
    assert stored.notes == "Stiff after the bus ride."
