"""Issue 12, the outside probe's findings about the access audit, the admin, erasure and consent.

Pat keeps a diary; Olive is another patient; Thea is their therapist; Uma is a therapist nobody
linked to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diary import consent, selectors
from diary.models import AuditEvent, CareLink, Role, User
from tests.conftest import PASSWORD, pass_second_step, signed_in
from tests.test_audit_routes import patient_routes


@pytest.mark.parametrize("path", ["export/", "links/", "export", "links"])
def test_finding_10_slash_twins_are_audited_like_their_route(patient: Any, therapist: Any, api: Any, path: str) -> None:
    """`/api/v1/export/` and `/api/v1/links/` are the same acts as without the slash, and recorded the same."""
    client = api(patient)
    if path.startswith("links"):
        body = {"invite_code": therapist.invite_code, "consent_version": consent.VERSION}
        assert client.post(path, body).status_code == 200
        action = "api:links"
    else:
        assert client.get(path, format="json").status_code == 200
        action = "api:export"
    rows = AuditEvent.objects.filter(actor_user_id=patient.pk, action=action)
    assert list(rows.values_list("patient_user_id", "allowed")) == [(patient.pk, True)]


def test_finding_19_erasing_the_account_clears_the_phones_data(patient: Any, api: Any) -> None:
    """Like signing out: the browser empties its caches and storage (the offline outbox, the worker's cache)."""
    response = api(patient).delete("me", {"password": PASSWORD})
    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_finding_20c_a_therapist_listing_links_is_recorded_per_patient_shown(
    patient: Any, other_patient: Any, therapist: Any, api: Any
) -> None:
    """GET links shows a therapist their patients' names, so it is recorded like GET patients."""
    assert api(therapist).get("links").status_code == 200
    rows = AuditEvent.objects.filter(actor_user_id=therapist.pk, action="api:links")
    assert sorted(rows.values_list("patient_user_id", flat=True)) == sorted([patient.pk, other_patient.pk])
    assert set(rows.values_list("allowed", flat=True)) == {True}


def _url(route: str, patient_id: int) -> str:
    """A real URL for a route that names a patient (other ids and codes made up)."""
    url = "/" + route.replace("<int:patient_id>", str(patient_id))
    url = re.sub(r"<int:\w+>", "999999", url)
    return re.sub(r"<(?:\w+:)?\w+>", "x", url)


PATIENT_ROUTES = patient_routes()


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_options_by_an_unlinked_therapist_is_404_and_recorded_as_refused(
    patient: Any, therapist: Any, unlinked_therapist: Any, route: str, name: str
) -> None:
    """API.md: a therapist not linked gets 404 on every path under patients/{id}/, OPTIONS included."""
    response = signed_in(unlinked_therapist).options(_url(route, patient.pk))
    assert response.status_code == 404
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk)
    assert rows.filter(allowed=True).count() == 0
    assert rows.filter(allowed=False).count() == 1


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_options_by_her_therapist_is_not_recorded_as_an_access(
    patient: Any, therapist: Any, route: str, name: str
) -> None:
    """OPTIONS shows no diary: whatever it answers her own therapist, "Who has seen my diary" gains no "allowed" row."""
    signed_in(therapist).options(_url(route, patient.pk))
    assert AuditEvent.objects.filter(patient_user_id=patient.pk, allowed=True).count() == 0


@pytest.mark.parametrize(("route", "name"), PATIENT_ROUTES, ids=[route for route, _ in PATIENT_ROUTES])
def test_finding_2_a_therapist_held_at_the_second_step_is_recorded_as_refused(
    patient: Any, therapist: Any, route: str, name: str
) -> None:
    """Only the password passed: the page sends her to /two-step (the API answers 403); nothing was shown."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(therapist)
    response = client.get(_url(route, patient.pk))
    assert response.status_code in (302, 403)
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk)
    assert list(rows.values_list("allowed", flat=True)) == [False]


def _every_stored_value() -> str:
    """Every column of every audit row, as one text to search."""
    return " ".join(str(value) for row in AuditEvent.objects.values() for value in row.values())


def test_finding_7_erasure_leaves_no_name_and_no_health_code_in_the_audit(
    patient: Any, therapist: Any, api: Any
) -> None:
    """After DELETE me the rows about Pat keep ids and route names only: neither her name nor a flag's code."""
    code = "spinal_cord_compression_signs"
    thea = signed_in(therapist)
    thea.get(f"/patients/{patient.pk}")
    api(therapist).post(f"patients/{patient.pk}/flags/{code}/acknowledge", {"note": ""})
    api(patient).get("export", format="json")
    assert api(patient).delete("me", {"password": PASSWORD}).status_code == 204

    stored = _every_stored_value()
    assert AuditEvent.objects.filter(patient_user_id=patient.pk).count() >= 3
    assert "Pat Patient" not in stored
    assert code not in stored
    assert "/patients/" not in stored  # no free paths, only route names and ids


def test_finding_7_an_erased_therapist_is_named_by_their_number(patient: Any, therapist: Any, api: Any) -> None:
    """Names are looked up when the audit is read: once an account is gone it is "account N"."""
    signed_in(therapist).get(f"/patients/{patient.pk}")
    number = therapist.pk
    therapist.delete()

    content = signed_in(patient).get("/access").content.decode()
    assert f"account {number}" in content
    assert "Thea Therapist" not in content
    access_log = api(patient).get("export", format="json").json()["access_log"]
    assert [(row["who"], row["what"]) for row in access_log] == [(f"account {number}", "frontend:patient_detail")]


@pytest.mark.parametrize("slash", ["", "/"])
def test_finding_9_anonymous_refusals_do_not_write_into_a_patients_audit(patient: Any, slash: str) -> None:
    """Anyone on the internet could otherwise fill Pat's "Who has seen my diary" with text of their choosing."""
    client = Client(enforce_csrf_checks=True)
    for text in ("CALL-ME-0800-SCAM", "your therapist was fired"):
        client.post(f"/api/v1/patients/{patient.pk}/flags/{text}/acknowledge{slash}")
        client.post(f"/patients/{patient.pk}/flags/{text}/acknowledge")
    assert not AuditEvent.objects.filter(patient_user_id=patient.pk).exists()
    rows = AuditEvent.objects.filter(actor_user_id=None, allowed=False)
    assert rows.count() == 4  # still recorded, as refusals naming nobody
    stored = _every_stored_value()
    assert "SCAM" not in stored
    assert "fired" not in stored


@pytest.mark.django_db(transaction=True)
def test_finding_7_the_migration_converts_existing_rows_and_keeps_the_table_append_only() -> None:
    """Rows written before 0010 lose their names and paths; a path's object id is kept; the trigger is back."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes("diary")
    executor.migrate([("diary", "0008_one_home_for_limits")])
    old = [
        ("Thea Therapist", "/patients/7/notes/31/delete", "frontend:note_delete"),
        ("Thea Therapist", "/api/v1/patients/7/flags/spinal_cord_compression_signs/acknowledge", "api:x"),
        ("Pat Patient", "/api/v1/links/12/", "api:link"),
        ("manage.py reset_two_step", "therapist 5", "auth:second_step_reset"),
    ]
    with connection.cursor() as cursor:
        for name, path, action in old:
            cursor.execute(
                "INSERT INTO diary_auditevent (at, actor_role, actor_name, action, method, path, allowed)"
                " VALUES (%s, '', %s, %s, 'GET', %s, %s)",
                [timezone.now(), name, action, path, True],
            )

    MigrationExecutor(connection).migrate(leaves)

    rows = list(AuditEvent.objects.order_by("id").values_list("action", "object_id"))
    assert rows == [("frontend:note_delete", 31), ("api:x", None), ("api:link", 12), ("auth:second_step_reset", 5)]
    stored = _every_stored_value()
    assert "Thea" not in stored
    assert "spinal" not in stored
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE diary_auditevent SET allowed = %s", [False])


def test_finding_18_a_patient_reads_the_consent_wording_and_its_version(patient: Any, therapist: Any, api: Any) -> None:
    """GET consent (API.md 1.1) answers what the links page shows before sharing, with its version."""
    response = api(patient).get("consent")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == consent.VERSION
    for words in (*consent.WHAT_THEY_SEE, *consent.WHAT_THEY_DO):
        assert words in body["text"]
    assert api(therapist).get("consent").status_code == 403
    assert api(None).get("consent").status_code == 401


@pytest.mark.parametrize("version", [None, "", "2020-01-01", 7])
def test_finding_18_sharing_without_the_current_consent_is_refused_and_shares_nothing(
    patient: Any, unlinked_therapist: Any, api: Any, version: Any
) -> None:
    """A missing or outdated consent_version is 400: the API records no consent the caller never gave."""
    body: dict[str, Any] = {"invite_code": unlinked_therapist.invite_code}
    if version is not None:
        body["consent_version"] = version
    response = api(patient).post("links", body)
    assert response.status_code == 400
    assert "consent_version" in response.json()
    assert not CareLink.objects.filter(therapist=unlinked_therapist).exists()


def test_finding_18_sharing_with_the_current_consent_stores_it(patient: Any, unlinked_therapist: Any, api: Any) -> None:
    response = api(patient).post(
        "links", {"invite_code": unlinked_therapist.invite_code, "consent_version": consent.VERSION}
    )
    assert response.status_code == 201
    link = CareLink.objects.get(therapist=unlinked_therapist)
    assert link.consent_version == consent.VERSION
    assert link.consented_at is not None


@pytest.fixture
def admin_user(db: Any) -> Any:
    """Ada: the clinic's administrator, made as createsuperuser makes her."""
    return User.objects.create_superuser(email="ada@example.com", password=PASSWORD)


def test_finding_5_a_superuser_is_staff_not_a_therapist(admin_user: Any, patient: Any, api: Any) -> None:
    """createsuperuser makes a staff account: no invite code, nobody's diary, no patient or therapist pages."""
    assert admin_user.role == Role.STAFF
    assert admin_user.invite_code is None
    assert list(selectors.patients_visible_to(admin_user)) == []
    client = Client()
    client.force_login(admin_user)
    pass_second_step(client, admin_user)
    assert client.get(f"/patients/{patient.pk}").status_code in (403, 404)
    assert client.get("/history").status_code == 403
    assert client.get("/").status_code == 302  # to the admin: she keeps no diary
    assert client.get(f"/api/v1/patients/{patient.pk}/checkins").status_code in (403, 404)
    assert client.get("/api/v1/checkins").status_code == 403


def test_finding_5_the_admin_shows_no_health_data(admin_user: Any, patient: Any) -> None:
    """Accounts, care links and invite codes only: no check-ins, flags or notes; accounts without health fields."""
    registered = {model._meta.label for model in django_admin.site._registry}
    assert {"diary.CheckIn", "diary.FlagState", "diary.TherapistNote", "diary.FlagAcknowledgement"}.isdisjoint(
        registered
    )
    assert not any(label.startswith("diary.") and "Check" in label for label in registered)
    client = Client()
    client.force_login(admin_user)
    pass_second_step(client, admin_user)
    page = client.get(f"/admin/diary/user/{patient.pk}/change/")
    assert page.status_code == 200
    assert "therapy_started_on" not in page.content.decode()
    assert client.get("/admin/diary/carelink/add/").status_code == 403  # a link is the patient's consent


def test_finding_5_an_admin_opening_a_patients_account_is_in_her_audit(
    admin_user: Any, patient: Any, therapist: Any
) -> None:
    client = Client()
    client.force_login(admin_user)
    pass_second_step(client, admin_user)
    assert client.get(f"/admin/diary/user/{patient.pk}/change/").status_code == 200
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk, actor_user_id=admin_user.pk)
    assert list(rows.values_list("action", "allowed")) == [("admin:diary_user_change", True)]
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    assert client.get(f"/admin/diary/carelink/{link.pk}/change/").status_code == 200
    assert rows.filter(action="admin:diary_carelink_change", object_id=link.pk).count() == 1
    content = signed_in(patient).get("/access").content.decode()
    assert "in the clinic&#x27;s admin" in content or "in the clinic's admin" in content


def test_finding_5_staff_pass_the_second_step_before_the_admin(admin_user: Any) -> None:
    """The admin can change any account's email or password (a way into every diary), so staff are
    held at the second step like therapists: the admin sends them to set up their app first."""
    client = Client()
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:second_step_setup"))
    assert client.get(reverse("frontend:second_step_setup")).status_code == 200
    pass_second_step(client, admin_user)
    assert client.get("/admin/").status_code == 200
