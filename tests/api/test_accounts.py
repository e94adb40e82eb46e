"""Accounts through /api/v1/auth/* and /api/v1/me, and the patient's own export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from rest_framework.throttling import ScopedRateThrottle

from diary.models import CareLink, CheckIn, User
from tests.conftest import PASSWORD, checkin_body

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
NEW_PASSWORD = "a long new passphrase"
ME_KEYS = {"id", "email", "display_name", "role", "timezone", "therapy_started_on", "invite_code"}


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signup_body(**fields: Any) -> dict[str, Any]:
    return {"email": "new@example.com", "password": NEW_PASSWORD, "timezone": "Europe/Berlin", **fields}


# --- CSRF ---------------------------------------------------------------------


def test_it_hands_out_a_csrf_token_and_cookie(db: Any, api: Any) -> None:
    """GET auth/csrf sets the cookie and returns the token to send as X-CSRFToken."""
    client = api(None).client
    response = client.get("/api/v1/auth/csrf")
    assert response.status_code == 200
    token = response.json()["csrfToken"]
    assert len(token) >= 32
    assert "csrftoken" in response.cookies
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["auth/login", "auth/signup"])
def test_it_refuses_to_sign_in_without_a_csrf_token(patient: Any, api: Any, path: str) -> None:
    """Signing in needs the token too, so another site cannot sign a victim into its own account (login CSRF)."""
    client = api(None).client
    client.get("/api/v1/auth/csrf")  # the cookie alone is not enough
    body = {"email": patient.email, "password": PASSWORD} if path == "auth/login" else signup_body()

    response = client.post(f"/api/v1/{path}", json.dumps(body), content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert SESSION_KEY not in client.session
    assert User.objects.count() == 1


# --- signup -------------------------------------------------------------------


def test_it_signs_up_a_patient_and_signs_them_in(db: Any, api: Any) -> None:
    """201 with the me object; the account is a patient, and the same session can read me."""
    client = api(None)
    response = client.post("auth/signup", signup_body(email="New.Person@Example.COM"))

    assert response.status_code == 201, response.content
    me = response.json()
    assert set(me) == ME_KEYS
    assert (me["email"], me["role"], me["timezone"], me["invite_code"]) == (
        "new.person@example.com",
        "patient",
        "Europe/Berlin",
        None,
    )
    user = User.objects.get()
    assert (user.pk, user.email, user.role, user.invite_code) == (me["id"], "new.person@example.com", "patient", None)
    assert user.check_password(NEW_PASSWORD)
    assert client.get("me").json() == me


def test_it_only_ever_signs_up_patients(db: Any, api: Any) -> None:
    """role, invite_code and is_staff in the signup body are not honoured: therapists come from the clinic."""
    response = api(None).post(
        "auth/signup", signup_body(role="therapist", invite_code="ABCDEFGHJK", is_staff=True, is_superuser=True)
    )
    assert response.status_code == 201
    user = User.objects.get()
    assert (user.role, user.invite_code, user.is_staff, user.is_superuser) == ("patient", None, False, False)


@pytest.mark.parametrize(
    "password",
    ["short", "password1234", "123456789012345", "new@example.com", "newexample"],
    ids=["short", "common", "numeric", "like-the-email", "similar"],
)
def test_it_refuses_a_weak_password(db: Any, api: Any, password: str) -> None:
    """Django's password validators apply: 400 on password, and no account."""
    response = api(None).post("auth/signup", signup_body(password=password))
    assert response.status_code == 400, response.content
    assert response.json()["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["pat@example.com", "PAT@Example.com"])
def test_it_refuses_an_email_that_already_has_an_account(patient: Any, api: Any, email: str) -> None:
    """Duplicate email (in any case) is 400 on email; the existing account is untouched."""
    response = api(None).post("auth/signup", signup_body(email=email))
    assert response.status_code == 400
    assert response.json()["email"]
    assert User.objects.count() == 1
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    assert patient.timezone == "Europe/London"


@pytest.mark.parametrize(
    "body",
    [
        signup_body(timezone="Moon/Base"),
        signup_body(email="not-an-email"),
        {"email": "new@example.com", "password": NEW_PASSWORD},
        {"email": "new@example.com", "timezone": "UTC"},
    ],
    ids=["timezone", "email", "no-timezone", "no-password"],
)
def test_it_refuses_an_incomplete_signup(db: Any, api: Any, body: dict[str, Any]) -> None:
    """Each missing or bad field is named in the 400, and no account is made."""
    response = api(None).post("auth/signup", body)
    assert response.status_code == 400
    missing = {"email", "password", "timezone"} - set(body)
    assert set(response.json()) >= missing
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("US/Central", "America/Chicago"),
        ("Etc/UTC", "UTC"),
        ("Europe/Amsterdam", "Europe/Amsterdam"),
    ],
)
def test_it_stores_a_time_zone_by_its_canonical_name(db: Any, api: Any, sent: str, stored: str) -> None:
    """An old name, as some phones report (Chromium: Asia/Calcutta), is stored and answered as the current name
    (diary/zones.py)."""
    response = api(None).post("auth/signup", signup_body(timezone=sent))
    assert response.status_code == 201, response.content
    assert response.json()["timezone"] == stored
    assert User.objects.get().timezone == stored


# --- login and logout -------------------------------------------------------


@pytest.mark.parametrize("email", ["pat@example.com", " Pat@Example.COM "])
def test_it_signs_in_with_the_right_password(patient: Any, api: Any, email: str) -> None:
    """200 with the me object; the email is matched without regard to case or surrounding spaces."""
    client = api(None)
    response = client.post("auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == patient.pk
    assert set(response.json()) == ME_KEYS
    assert client.client.session[SESSION_KEY] == str(patient.pk)
    assert client.get("me").status_code == 200


def test_it_gives_the_same_answer_for_a_wrong_password_and_an_unknown_email(patient: Any, api: Any) -> None:
    """400 with one message whether or not the email has an account, and nobody is signed in."""
    client = api(None)
    wrong_password = client.post("auth/login", {"email": patient.email, "password": "not the password"})
    unknown_email = client.post("auth/login", {"email": "nobody@example.com", "password": PASSWORD})

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["detail"]
    assert SESSION_KEY not in client.client.session
    assert client.get("me").status_code == 401


def test_it_refuses_a_deactivated_account(patient: Any, api: Any) -> None:
    """An account the clinic switched off cannot sign in, and gets the ordinary wrong-credentials answer."""
    User.objects.filter(pk=patient.pk).update(is_active=False)
    client = api(None)
    response = client.post("auth/login", {"email": patient.email, "password": PASSWORD})
    unknown = client.post("auth/login", {"email": "nobody@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == unknown.json()


def test_it_signs_out(patient: Any, api: Any) -> None:
    """POST auth/logout is 204, and the session no longer reads me."""
    client = api(patient)
    assert client.get("me").status_code == 200
    response = client.post("auth/logout")
    assert response.status_code == 204
    assert SESSION_KEY not in client.client.session
    after = client.get("me")
    assert after.status_code == 401
    assert after["WWW-Authenticate"]


def login_rate() -> tuple[int, int]:
    # DRF binds THROTTLE_RATES to the class when rest_framework.throttling is imported,
    # so the class attribute is what is in force, not a later change to settings.
    return ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES["login"])  # type: ignore[return-value]


def test_it_reads_the_login_rate_from_settings(settings: Any) -> None:
    """The rate in force is the one settings name ("10/min" unless THROTTLE_LOGIN says otherwise)."""
    assert ScopedRateThrottle.THROTTLE_RATES["login"] == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"]
    assert login_rate()[0] >= 3


def test_it_locks_out_after_too_many_sign_in_attempts(
    patient: Any, api: Any, frozen_clock: time_machine.Coordinates
) -> None:
    """Past the login rate every attempt is 429, even the right password, until the window has passed."""
    allowed, window = login_rate()
    client = api(None)
    # A different account each time: one account locks sooner (test_lockout.py); this is the per-address rate.
    for n in range(allowed):
        assert client.post("auth/login", {"email": f"guess{n}@example.com", "password": "guess"}).status_code == 400

    locked = client.post("auth/login", {"email": patient.email, "password": PASSWORD})

    assert locked.status_code == 429
    assert locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0
    assert SESSION_KEY not in client.client.session

    frozen_clock.shift(timedelta(seconds=window + 1))
    assert client.post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 200


def test_it_keeps_the_lockout_when_the_client_changes_x_forwarded_for(patient: Any, api: Any) -> None:
    """A header the client writes itself cannot buy more password guesses."""
    allowed, _ = login_rate()
    client = api(None)
    for attempt in range(allowed):
        headers = {"X-Forwarded-For": f"203.0.113.{attempt}"}
        client.post("auth/login", {"email": f"guess{attempt}@example.com", "password": "guess"}, headers=headers)
    response = client.post(
        "auth/login", {"email": patient.email, "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert response.status_code == 429


# --- me -----------------------------------------------------------------------


def test_it_shows_a_therapist_their_invite_code_and_a_patient_none(patient: Any, therapist: Any, api: Any) -> None:
    """Every therapist has an invite code from the start; for a patient it is null."""
    pat = api(patient).get("me").json()
    thea = api(therapist).get("me").json()
    assert pat == {
        "id": patient.pk,
        "email": "pat@example.com",
        "display_name": "Pat Patient",
        "role": "patient",
        "timezone": "Europe/London",
        "therapy_started_on": None,
        "invite_code": None,
    }
    assert thea["role"] == "therapist"
    assert thea["invite_code"] == therapist.invite_code
    assert len(thea["invite_code"]) >= 8


def test_it_changes_the_profile(patient: Any, api: Any) -> None:
    """PATCH me sets display_name and therapy_started_on, and leaves what was not sent."""
    client = api(patient)
    response = client.patch("me", {"display_name": "Patricia", "therapy_started_on": "2026-01-15"})
    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["therapy_started_on"]) == ("Patricia", "2026-01-15")
    patient.refresh_from_db()
    assert (patient.display_name, patient.therapy_started_on) == ("Patricia", date(2026, 1, 15))

    response = client.patch("me", {"display_name": "Pat"})
    patient.refresh_from_db()
    assert patient.therapy_started_on == date(2026, 1, 15)

    response = client.patch("me", {"therapy_started_on": None})
    assert response.status_code == 200
    assert response.json()["therapy_started_on"] is None
    patient.refresh_from_db()
    assert (patient.display_name, patient.therapy_started_on) == ("Pat", None)


def test_it_changes_the_time_zone_to_the_canonical_name_and_redates_the_diary(patient: Any, api: Any) -> None:
    """PATCH me with Asia/Calcutta stores Asia/Kolkata, and a stored check-in moves to Kolkata's day."""
    # 20:00 on 19 March in London (GMT) is 01:30 on 20 March in Kolkata (+05:30).
    checkin = api(patient).post("checkins", checkin_body(recorded_at="2026-03-19T20:00:00Z")).json()
    assert (checkin["local_date"], checkin["part_of_day"]) == ("2026-03-19", "evening")

    response = api(patient).patch("me", {"timezone": "Asia/Calcutta"})

    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Asia/Kolkata"
    patient.refresh_from_db()
    assert patient.timezone == "Asia/Kolkata"
    stored = CheckIn.objects.get(pk=checkin["id"])
    assert (stored.local_date, stored.part_of_day) == (date(2026, 3, 20), "night")


@pytest.mark.parametrize("zone", ["Mars/Base", "", "Europe", "+05:30"])
def test_it_refuses_a_time_zone_that_is_not_a_name(patient: Any, api: Any, zone: str) -> None:
    """400 naming timezone; the profile keeps its zone."""
    response = api(patient).patch("me", {"timezone": zone})
    assert response.status_code == 400
    assert set(response.json()) == {"timezone"}
    patient.refresh_from_db()
    assert patient.timezone == "Europe/London"


def test_it_does_not_change_the_email_or_role_through_me(patient: Any, api: Any) -> None:
    """Only timezone, therapy_started_on and display_name can be changed; the rest of the body is ignored."""
    response = api(patient).patch("me", {"email": "evil@example.com", "role": "therapist", "invite_code": "X"})
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.email, patient.role, patient.invite_code) == ("pat@example.com", "patient", None)


@pytest.mark.parametrize(
    "change",
    [{"display_name": "x" * 81}, {"therapy_started_on": "15/01/2026"}, {"therapy_started_on": "2026-02-30"}],
    ids=["long-name", "date-format", "no-such-day"],
)
def test_it_refuses_a_bad_profile_change(patient: Any, api: Any, change: dict[str, Any]) -> None:
    """400 naming the field; the profile is unchanged."""
    response = api(patient).patch("me", change)
    assert response.status_code == 400
    assert set(response.json()) == set(change)
    patient.refresh_from_db()
    assert (patient.display_name, patient.therapy_started_on) == ("Pat Patient", None)


def test_it_refuses_a_therapy_start_date_for_a_therapist(therapist: Any, api: Any) -> None:
    """Only patients have a therapy start date."""
    response = api(therapist).patch("me", {"therapy_started_on": "2026-01-15"})
    assert response.status_code == 400
    assert "therapy_started_on" in response.json()
    therapist.refresh_from_db()
    assert therapist.therapy_started_on is None


# --- deleting the account -------------------------------------------------------


def test_it_keeps_the_account_when_the_password_is_wrong(patient: Any, therapist: Any, api: Any) -> None:
    """DELETE me with a wrong or missing password is 400 and erases nothing."""
    client = api(patient)
    client.post("checkins", checkin_body())
    for body in ({"password": "not it"}, {}, None):
        response = client.delete("me", body)
        assert response.status_code == 400
        assert "password" in response.json()
    assert User.objects.filter(pk=patient.pk).exists()
    assert CheckIn.objects.filter(patient=patient).count() == 1
    assert CareLink.objects.filter(patient=patient).count() == 1
    assert client.get("me").status_code == 200


def test_it_erases_the_account_and_its_diary(patient: Any, other_patient: Any, therapist: Any, api: Any) -> None:
    """DELETE me with the password: 204, and the person, their check-ins and links are gone; others' are not."""
    client = api(patient)
    client.post("checkins", checkin_body())
    api(other_patient).post("checkins", checkin_body())

    response = client.delete("me", {"password": PASSWORD})

    assert response.status_code == 204
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not CheckIn.objects.filter(patient_id=patient.pk).exists()
    assert not CareLink.objects.filter(patient_id=patient.pk).exists()
    assert CheckIn.objects.filter(patient=other_patient).count() == 1
    assert CareLink.objects.filter(patient=other_patient, therapist=therapist).count() == 1
    assert client.get("me").status_code == 401
    assert api(therapist).get(f"patients/{patient.pk}/checkins").status_code == 404


def test_it_erases_a_therapist_and_their_links(patient: Any, therapist: Any, api: Any) -> None:
    """A therapist leaving ends every link to them; the patients' diaries stay."""
    api(patient).post("checkins", checkin_body())
    response = api(therapist).delete("me", {"password": PASSWORD})
    assert response.status_code == 204
    assert not CareLink.objects.exists()
    assert CheckIn.objects.filter(patient=patient).count() == 1
    assert api(patient).get("links").json() == []


# --- export -------------------------------------------------------------------


@pytest.fixture
def diary(patient: Any, other_patient: Any, api: Any) -> list[dict[str, Any]]:
    """Two of Pat's check-ins (one with every field, notes that a spreadsheet would run), one of Olive's."""
    client = api(patient)
    full = client.post(
        "checkins",
        checkin_body(
            recorded_at="2026-03-19T07:30:00Z",
            pain=6,
            pain_locations=["lower_back", "hip_buttock"],
            movement_effect="worse",
            fatigue=4,
            rest_helped="no",
            sleep_hours=5.5,
            woke_from_pain=True,
            weight_kg=68.2,
            exercise_minutes=15,
            symptoms=["night_sweats"],
            notes='=HYPERLINK("http://evil.example")',
        ),
    ).json()
    small = client.post(
        "checkins", checkin_body(recorded_at="2026-03-20T11:00:00Z", pain=None, fatigue=7, notes="+1 -2 @me")
    ).json()
    api(other_patient).post("checkins", checkin_body(notes="olive-only"))
    return [full, small]


def test_it_exports_every_checkin_and_field_as_json(patient: Any, api: Any, diary: list[dict[str, Any]]) -> None:
    """The JSON export holds the profile and each of the caller's check-ins with every field, oldest first."""
    response = api(patient).get("export", format="json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="diary-pat-patient-{patient.pk}-2026-03-20.json"'
    data = json.loads(response.content)
    assert "email" not in data["patient"]  # account data, not diary: never in a file that may be shared
    assert data["patient"]["timezone"] == "Europe/London"
    assert len(data["checkins"]) == 2
    for exported, answered in zip(data["checkins"], diary, strict=True):
        # The export is the stored check-in; the alerts were the answer of the moment it was sent.
        expected = {key: value for key, value in answered.items() if key not in ("created_at", "updated_at", "alerts")}
        assert exported == expected
    assert "olive-only" not in response.content.decode()


def test_it_exports_csv_that_a_spreadsheet_cannot_run(patient: Any, api: Any, diary: list[dict[str, Any]]) -> None:
    """CSV with a header row and one row per check-in; a cell starting with = + - or @ is made inert."""
    response = api(patient).get("export", format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="diary-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(row["id"]) for row in rows] == [checkin["id"] for checkin in diary]
    assert rows[0]["notes"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1]["notes"] == "'+1 -2 @me"
    assert (rows[0]["pain"], rows[0]["pain_locations"], rows[0]["woke_from_pain"]) == (
        "6",
        "lower_back;hip_buttock",
        "yes",
    )
    assert rows[1]["pain"] == ""
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


@pytest.mark.parametrize("note", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_it_neutralises_every_formula_start_in_csv(patient: Any, api: Any, note: str) -> None:
    """Each character that makes a spreadsheet evaluate a cell is escaped with a leading quote."""
    api(patient).post("checkins", checkin_body(notes=note))
    rows = list(csv.DictReader(io.StringIO(api(patient).get("export", format="csv").content.decode())))
    assert rows[0]["notes"] == "'" + note


def test_it_exports_a_fhir_bundle(patient: Any, api: Any, diary: list[dict[str, Any]]) -> None:
    """FHIR R4: a collection Bundle with the Patient and LOINC-coded Observations (72514-3 pain, 29463-7 weight)."""
    response = api(patient).get("export", format="fhir")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = json.loads(response.content)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    resources = [entry["resource"] for entry in bundle["entry"]]
    patients = [resource for resource in resources if resource["resourceType"] == "Patient"]
    assert len(patients) == 1
    patient_url = bundle["entry"][resources.index(patients[0])]["fullUrl"]

    def observations(loinc: str) -> list[dict[str, Any]]:
        return [
            resource
            for resource in resources
            if resource["resourceType"] == "Observation"
            and any(coding.get("code") == loinc for coding in resource["code"].get("coding", []))
        ]

    pain = observations("72514-3")
    weight = observations("29463-7")
    assert [observation["valueQuantity"]["value"] for observation in pain] == [6]
    assert [observation["valueQuantity"]["value"] for observation in weight] == [68.2]
    assert weight[0]["valueQuantity"]["unit"] == "kg"
    assert pain[0]["code"]["coding"][0]["system"] == "http://loinc.org"
    assert pain[0]["effectiveDateTime"] == "2026-03-19T07:30:00+00:00"
    assert all(
        resource["subject"]["reference"] == patient_url
        for resource in resources
        if resource["resourceType"] == "Observation"
    )
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    assert "olive" not in response.content.decode().lower()


@pytest.mark.parametrize("query", [{"format": "xml"}, {"format": ""}, {}], ids=["xml", "empty", "missing"])
def test_it_refuses_an_unknown_export_format(patient: Any, api: Any, query: dict[str, str]) -> None:
    """The format must be csv, json or fhir: 400 naming format."""
    response = api(patient).get("export", **query)
    assert response.status_code == 400
    assert "format" in response.json()


def test_it_does_not_export_for_a_therapist(therapist: Any, api: Any, diary: list[dict[str, Any]]) -> None:
    """A therapist has no diary of their own: 403, and nothing of the patients' in the answer."""
    response = api(therapist).get("export", format="json")
    assert response.status_code == 403
    assert "HYPERLINK" not in response.content.decode()


@pytest.mark.parametrize(
    ("export_format", "accept", "content_type"),
    [
        ("csv", "text/csv", "text/csv; charset=utf-8"),
        ("fhir", "application/fhir+json", "application/fhir+json"),
        ("json", "application/json", "application/json"),
        ("csv", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/csv; charset=utf-8"),
    ],
    ids=["csv", "fhir", "json", "browser"],
)
def test_it_exports_whatever_the_accept_header_says(
    patient: Any, api: Any, diary: list[dict[str, Any]], export_format: str, accept: str, content_type: str
) -> None:
    """?format= decides the download: a script that also sends the matching Accept header is not refused with 406."""
    response = api(patient).client.get("/api/v1/export", {"format": export_format}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def test_it_answers_export_errors_in_json_whatever_was_accepted(patient: Any, api: Any) -> None:
    """A bad format asked for with Accept: text/csv still gets a JSON 400 a script can read."""
    response = api(patient).client.get("/api/v1/export", {"format": "xml"}, headers={"Accept": "text/csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "format" in response.json()
