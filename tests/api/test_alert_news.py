"""Alerts that stay meaningful (CLINICAL.md 1.1, API.md 1.1): `new` on a check-in's alerts, and re-raising.

The people are those of tests/conftest.py: Pat (a patient in London, GMT on these dates), her
therapist Thea, Olive (another patient) and Uma (a therapist nobody linked to). The clock is
frozen at Friday 20 March 2026, 12:00 in London.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine

from diary import services
from diary.models import CheckIn, FlagAcknowledgement, User
from tests.conftest import Api, checkin_body

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def send(user: User, **fields: Any) -> dict[str, Any]:
    response = Api(user).post("checkins", checkin_body(**fields))
    assert response.status_code == 201, response.content
    data: dict[str, Any] = response.json()
    return data


def alert(answer: dict[str, Any], code: str) -> dict[str, Any]:
    return next(item for item in answer["alerts"] if item["code"] == code)


def night(patient: User, days_ago: int, pain: int = 6) -> CheckIn:
    """A check-in at 03:00 London time (GMT) on a night this many days ago, woken by pain."""
    at = datetime(2026, 3, 20, 3, 0, tzinfo=UTC) - timedelta(days=days_ago)
    return services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=at, pain=pain, woke_from_pain=True
    ).checkin


def acknowledge(therapist: User, patient: User, code: str, **body: Any) -> Any:
    return Api(therapist).post(f"patients/{patient.pk}/flags/{code}/acknowledge", {"note": "Phoned her.", **body})


# --- new ------------------------------------------------------------------------------


def test_an_emergency_symptom_is_news_and_pain_2_after_it_is_not(patient: Any) -> None:
    """The full-screen alert for the check-in that reports the symptom; a calm line for the next one."""
    first = send(patient, symptoms=["limb_weakness"])
    emergency = alert(first, "spinal_cord_compression_signs")
    assert emergency["new"] is True
    assert emergency["acknowledged"] is None
    assert emergency["action"].startswith("Get help now")

    second = send(patient, pain=2, fatigue=None)
    calm = alert(second, "spinal_cord_compression_signs")
    assert calm["new"] is False
    assert "call your acute oncology line now" in calm["status"]
    assert CheckIn.objects.get(pk=second["id"]).new_alerts == []


def test_a_replay_answers_the_same_new_as_the_first_send(patient: Any, api: Any) -> None:
    """The phone that lost the first answer learns it again, even after a later check-in made it old news."""
    body = checkin_body(symptoms=["limb_weakness"])
    first = api(patient).post("checkins", body)
    send(patient, pain=2)
    replay = api(patient).post("checkins", body)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert alert(replay.json(), "spinal_cord_compression_signs")["new"] is True
    assert alert(first.json(), "spinal_cord_compression_signs")["new"] is True


def test_an_emergency_symptom_reported_again_is_always_news(patient: Any, therapist: Any) -> None:
    """The patient side errs towards safety, acknowledged or not, and says when the care team saw it."""
    send(patient, symptoms=["limb_weakness"])
    assert acknowledge(therapist, patient, "spinal_cord_compression_signs", share_with_patient=True).status_code == 200

    again = alert(send(patient, symptoms=["limb_weakness"]), "spinal_cord_compression_signs")
    assert again["new"] is True
    assert again["acknowledged"]["note"] == "Phoned her."
    assert again["acknowledged"]["by"]["display_name"] == "Thea Therapist"


def test_the_first_raise_of_night_pain_is_news_one_more_night_is_not(patient: Any) -> None:
    """Two painful nights raise nothing; the third raises night_pain (news); a fourth only adds a night."""
    night(patient, 3)
    night(patient, 2)
    third = send(patient, recorded_at=datetime(2026, 3, 19, 3, 0, tzinfo=UTC).isoformat(), woke_from_pain=True)
    assert alert(third, "night_pain")["new"] is True

    fourth = send(patient, recorded_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC).isoformat(), woke_from_pain=True)
    calm = alert(fourth, "night_pain")
    assert calm["new"] is False
    assert calm["status"] == "Contact your care team within 24 hours about night pain: open since 19 Mar."


def test_an_open_flag_made_worse_is_news(patient: Any) -> None:
    """Night pain 4 → 7 on an open flag: 2 points or more above its highest is worse, so news again."""
    for days_ago in (3, 2, 1):
        night(patient, days_ago, pain=4)
    worse = send(patient, recorded_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC).isoformat(), pain=7)
    assert alert(worse, "night_pain")["new"] is True
    slightly = send(patient, recorded_at=datetime(2026, 3, 20, 4, 0, tzinfo=UTC).isoformat(), pain=8)
    assert alert(slightly, "night_pain")["new"] is False


def test_a_new_symptom_on_an_open_flag_is_news(patient: Any) -> None:
    """Blood in the urine, then in the stool: different, so news."""
    assert alert(send(patient, symptoms=["blood_in_urine"]), "blood_in_stool_or_urine")["new"] is True
    assert alert(send(patient, symptoms=["blood_in_urine"]), "blood_in_stool_or_urine")["new"] is False
    assert alert(send(patient, symptoms=["blood_in_stool"]), "blood_in_stool_or_urine")["new"] is True


def test_a_review_flag_is_never_an_alert(patient: Any) -> None:
    """Bladder change is for the next visit: not in alerts at all."""
    answer = send(patient, symptoms=["urinary_change"])
    assert answer["alerts"] == []


# --- re-raise when worse or different -----------------------------------------------------


@pytest.mark.parametrize(
    ("later", "days_on", "raised", "news"),
    [
        ({"symptoms": ["blood_in_urine"]}, 0, False, False),  # the same symptom within the follow-up
        ({"symptoms": ["blood_in_urine"]}, 6, False, False),  # still within the 7 days
        ({"symptoms": ["blood_in_stool"]}, 0, True, True),  # a symptom not in the acknowledged evidence
        # The follow-up date (7 days on) has passed and the flag still holds: raised for the care team,
        # but by the calendar, not by this check-in, so the patient gets a calm line.
        ({"pain": 2}, 8, True, False),
    ],
    ids=["same-symptom", "same-symptom-day-6", "new-symptom", "follow-up-passed"],
)
def test_it_raises_an_acknowledged_symptom_flag_again_only_when_worse_or_different(
    patient: Any, therapist: Any, clock: Any, later: dict[str, Any], days_on: int, raised: bool, news: bool
) -> None:
    send(patient, symptoms=["blood_in_urine"])
    assert acknowledge(therapist, patient, "blood_in_stool_or_urine").json()["acknowledged"]["follow_up_on"] == (
        "2026-03-27"
    )
    clock.shift(timedelta(days=days_on))
    answer = send(patient, **later)
    item = alert(answer, "blood_in_stool_or_urine")
    assert (item["acknowledged"] is None) is raised
    assert item["new"] is news
    listed = Api(therapist).get("patients").json()
    pat = next(row for row in listed if row["id"] == patient.pk)
    assert (pat["flags"][0]["acknowledged"] is None) is raised


@pytest.mark.parametrize(("pain", "raised"), [(7, False), (8, True), (10, True)])
def test_it_raises_acknowledged_night_pain_again_when_the_score_is_2_points_higher(
    patient: Any, therapist: Any, pain: int, raised: bool
) -> None:
    """The acknowledged evidence's highest night pain was 6: 7 adds a night, 8 is worse."""
    for days_ago in (4, 3, 2):
        night(patient, days_ago, pain=6)
    assert acknowledge(therapist, patient, "night_pain").status_code == 200
    answer = send(patient, recorded_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC).isoformat(), pain=pain)
    item = alert(answer, "night_pain")
    assert (item["acknowledged"] is None) is raised
    assert item["new"] is raised


def test_a_higher_level_raises_an_acknowledged_flag_again(patient: Any, therapist: Any, clock: Any) -> None:
    """Numbness today and 30 days ago is ongoing (review); five days on, the old report is past the 4 weeks
    before the last 7 days, so today's report counts as new numbness (urgent): a higher level than was
    acknowledged, raised again although the follow-up date is weeks away."""
    for days_ago in (30, 0):
        services.checkin_create(
            patient=patient,
            client_uuid=uuid4(),
            recorded_at=NOW - timedelta(days=days_ago, minutes=5),
            symptoms=["limb_numbness_tingling"],
        )

    def numbness() -> dict[str, Any]:
        flags = Api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"]
        return next(f for f in flags if f["code"] == "limb_numbness_tingling")

    assert numbness()["level"] == "review"
    assert acknowledge(therapist, patient, "limb_numbness_tingling", follow_up_on="2026-05-01").status_code == 200
    assert numbness()["acknowledged"] is not None
    clock.shift(timedelta(days=5))
    assert numbness()["level"] == "urgent"
    assert numbness()["since"] == "2026-03-20"
    assert numbness()["acknowledged"] is None


def test_an_emergency_acknowledgement_follows_up_the_next_day_by_default(patient: Any, therapist: Any) -> None:
    send(patient, symptoms=["saddle_numbness"])
    answer = acknowledge(therapist, patient, "spinal_cord_compression_signs")
    assert answer.json()["acknowledged"]["follow_up_on"] == "2026-03-21"
    stored = FlagAcknowledgement.objects.get()
    assert (stored.level, stored.symptoms, stored.share_with_patient) == ("emergency", ["saddle_numbness"], False)


@pytest.mark.parametrize(
    "body",
    [
        {"follow_up_on": "2026-03-19"},  # before today
        {"follow_up_on": "2027-03-21"},  # more than a year ahead
        {"follow_up_on": "next week"},
        {"share_with_patient": "yes"},
        {"share_with_patient": 1},
    ],
)
def test_it_refuses_a_bad_follow_up_or_share_and_stores_nothing(patient: Any, therapist: Any, body: Any) -> None:
    send(patient, symptoms=["blood_in_urine"])
    response = acknowledge(therapist, patient, "blood_in_stool_or_urine", **body)
    assert response.status_code == 400
    assert list(response.json()) == list(body)
    assert not FlagAcknowledgement.objects.exists()


def test_the_note_reaches_the_patient_only_when_shared(patient: Any, therapist: Any, api: Any) -> None:
    send(patient, symptoms=["blood_in_urine"])
    acknowledge(therapist, patient, "blood_in_stool_or_urine", note="Private: query bladder tumour.")
    own = api(patient).get("flags").json()["flags"][0]["acknowledged"]
    assert own["note"] is None
    assert own["share_with_patient"] is False
    acknowledge(therapist, patient, "blood_in_stool_or_urine", note="GP sees you today.", share_with_patient=True)
    assert api(patient).get("flags").json()["flags"][0]["acknowledged"]["note"] == "GP sees you today."


def test_strangers_cannot_acknowledge_with_a_follow_up(
    patient: Any, unlinked_therapist: Any, other_patient: Any
) -> None:
    send(patient, symptoms=["blood_in_urine"])
    body = {"follow_up_on": "2026-03-25", "share_with_patient": True}
    assert acknowledge(unlinked_therapist, patient, "blood_in_stool_or_urine", **body).status_code == 404
    assert acknowledge(other_patient, patient, "blood_in_stool_or_urine", **body).status_code == 403
    assert not FlagAcknowledgement.objects.exists()


# --- two voices -----------------------------------------------------------------------------


def test_each_flag_speaks_to_the_patient_and_to_the_clinician(patient: Any, therapist: Any) -> None:
    """Weight down 6% in 21 days: the patient's words, and the clinician's numbers."""
    services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=NOW - timedelta(days=21), weight_kg=68.0)
    services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=NOW - timedelta(hours=1), weight_kg=63.9)
    flag = Api(therapist).get(f"patients/{patient.pk}/flags").json()["flags"][0]
    assert flag["code"] == "weight_loss"
    assert flag["title"] == "You have been losing weight"
    assert flag["clinician_detail"] == "Weight down 6.0% in 21 days (68.0 → 63.9 kg)."
    assert "you" not in flag["clinician_title"].lower().split()
    assert flag["name"] == "Weight loss"
    assert flag["action"] == "Mention this at your next visit or in a message to your therapist"
