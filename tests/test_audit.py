"""The access audit: who opened or changed whose diary, sign-ins, links, exports and erasure; append-only;
and what the patient reads of it in "Who has seen my diary" and in their export.

Pat keeps a diary; Olive is another patient; Thea is their therapist; Uma is a therapist nobody linked to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from diary import audit, consent
from diary.models import AppendOnly, AuditEvent, CareLink
from tests.conftest import PASSWORD, Api, signed_in
from tests.frontend.pages import submit, text


def events(**filters: Any) -> list[tuple[Any, ...]]:
    # Names are looked up as the patient's page does: the rows keep ids only.
    rows = list(AuditEvent.objects.filter(**filters).order_by("id"))
    names = audit.names_of(rows)
    return [(audit.who(row, names), row.action, row.patient_user_id, row.allowed, row.status) for row in rows]


class TestWhatIsRecorded:
    def test_a_therapist_opening_a_patients_pages_is_recorded_with_who_when_and_where(
        self, patient: Any, therapist: Any
    ) -> None:
        client = signed_in(therapist)

        client.get(f"/patients/{patient.pk}?days=7", REMOTE_ADDR="203.0.113.9")
        client.get(f"/patients/{patient.pk}/charts/pain.svg?days=7")

        rows = AuditEvent.objects.filter(patient_user_id=patient.pk).order_by("id")
        assert [(r.action, r.actor_user_id, r.actor_role, r.allowed, r.status) for r in rows] == [
            ("frontend:patient_detail", therapist.pk, "therapist", True, 200),
            ("frontend:patient_chart", therapist.pk, "therapist", True, 200),
        ]
        first = rows[0]
        assert first.object_id is None  # the URL's name and ids, never its path or query string
        assert first.ip == "203.0.113.9"
        assert timezone.now() - first.at < timedelta(minutes=1)

    def test_the_therapists_list_records_each_patient_shown(
        self, patient: Any, other_patient: Any, therapist: Any
    ) -> None:
        signed_in(therapist).get("/")
        Api(therapist).get("patients")

        for shown in (patient, other_patient):
            assert events(patient_user_id=shown.pk) == [
                ("Thea Therapist", "frontend:home", shown.pk, True, 200),
                ("Thea Therapist", "api:patients", shown.pk, True, 200),
            ]

    def test_a_refused_look_is_recorded_as_refused(self, patient: Any, unlinked_therapist: Any) -> None:
        signed_in(unlinked_therapist).get(f"/patients/{patient.pk}")
        Api(unlinked_therapist).get(f"patients/{patient.pk}/flags")

        assert events(patient_user_id=patient.pk) == [
            ("Uma Unlinked", "frontend:patient_detail", patient.pk, False, 404),
            ("Uma Unlinked", "api:patient-flags", patient.pk, False, 404),
        ]

    def test_changes_by_a_therapist_are_recorded(self, patient: Any, therapist: Any) -> None:
        client = signed_in(therapist)
        submit(client, f"/patients/{patient.pk}/notes", {"written_on": "", "text": "Call Friday"}, form_page="/")

        assert ("Thea Therapist", "frontend:note_create", patient.pk) in [e[:3] for e in events()]

    def test_sign_ins_failed_sign_ins_and_sign_outs_are_recorded(self, patient: Any) -> None:
        client = Client()
        client.post("/login", {"username": "pat@example.com", "password": "wrong"})
        client.post("/login", {"username": "nobody@example.com", "password": "wrong"})
        client.post("/login", {"username": "pat@example.com", "password": PASSWORD})
        client.post("/logout")

        assert events(action__startswith="auth:") == [
            ("Pat Patient", "auth:login_failed", patient.pk, False, None),
            ("", "auth:login_failed", None, False, None),  # no account: nothing of what was typed is kept
            ("Pat Patient", "auth:login", patient.pk, True, None),
            ("Pat Patient", "auth:logout", patient.pk, True, None),
        ]
        assert "nobody" not in str(list(AuditEvent.objects.values()))

    def test_sharing_ending_a_share_and_exporting_are_recorded(self, patient: Any, unlinked_therapist: Any) -> None:
        api = Api(patient)
        link = api.post(
            "links", {"invite_code": unlinked_therapist.invite_code, "consent_version": consent.VERSION}
        ).json()
        api.get("export", format="json")
        Api(unlinked_therapist).delete(f"links/{link['id']}")

        # (force_login in the test client signs in too: those rows are left out here.)
        assert [e for e in events(patient_user_id=patient.pk) if e[1] != "auth:login"] == [
            ("Pat Patient", "api:links", patient.pk, True, 201),
            ("Pat Patient", "api:export", patient.pk, True, 200),
            ("Uma Unlinked", "api:link", patient.pk, True, 204),
        ]

    def test_erasing_an_account_is_recorded_and_the_record_outlives_it(self, patient: Any, therapist: Any) -> None:
        signed_in(therapist).get(f"/patients/{patient.pk}")
        pat_id = patient.pk

        response = Api(patient).delete("me", {"password": PASSWORD})

        assert response.status_code == 204
        # Her name is gone with her account: the record calls her by her number.
        assert ("account " + str(pat_id), "account:delete", pat_id, True, None) in events()
        assert ("Thea Therapist", "frontend:patient_detail", pat_id, True, 200) in events()
        assert not CareLink.objects.filter(patient_id=pat_id).exists()

    def test_a_patient_keeping_their_own_diary_is_not_recorded(self, patient: Any) -> None:
        client = signed_in(patient)
        client.get("/history")
        client.get("/trends")
        Api(patient).post("checkins", {"client_uuid": str(uuid4()), "pain": 3})

        assert [e for e in events() if e[1] != "auth:login"] == []


class TestAppendOnly:
    @pytest.fixture
    def event(self, patient: Any, therapist: Any) -> AuditEvent:
        signed_in(therapist).get(f"/patients/{patient.pk}")
        return AuditEvent.objects.get(patient_user_id=patient.pk)

    def test_the_app_cannot_change_or_delete_an_event(self, event: AuditEvent) -> None:
        event.allowed = False
        with pytest.raises(AppendOnly):
            event.save()
        with pytest.raises(AppendOnly):
            event.delete()
        with pytest.raises(AppendOnly):
            AuditEvent.objects.filter(pk=event.pk).update(allowed=False)
        with pytest.raises(AppendOnly):
            AuditEvent.objects.all().delete()

    def test_the_database_refuses_to_change_an_event(self, event: AuditEvent) -> None:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE diary_auditevent SET allowed = %s WHERE id = %s", [False, event.pk])

        event.refresh_from_db()
        assert event.allowed is True

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite refuses updates only (migration 0004)")
    def test_postgresql_refuses_to_delete_an_event(self, event: AuditEvent) -> None:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM diary_auditevent WHERE id = %s", [event.pk])

        assert AuditEvent.objects.filter(pk=event.pk).exists()


class TestWhoHasSeenMyDiary:
    def test_the_patient_sees_who_opened_their_diary_and_who_was_refused(
        self, patient: Any, therapist: Any, unlinked_therapist: Any
    ) -> None:
        thea = signed_in(therapist)
        thea.get(f"/patients/{patient.pk}")
        for kind in ("pain", "sleep", "weight"):
            thea.get(f"/patients/{patient.pk}/charts/{kind}.svg")
        signed_in(unlinked_therapist).get(f"/patients/{patient.pk}")

        content = text(signed_in(patient).get("/access"))

        # One visit: the diary and its charts (tests/frontend/test_newcomer_therapist.py has the details).
        assert 'Thea Therapist</strong> <span class="hint">(therapist)</span> looked at your diary on ' in content
        assert ": diary, charts." in content
        assert "looked at your charts" in content  # each step, under the visit's details
        assert (
            'Uma Unlinked</strong> <span class="hint">(therapist)</span> tried to open your diary and was refused'
            in content
        )
        assert "Refused:" in content

    def test_nobody_else_sees_it(self, patient: Any, other_patient: Any, therapist: Any) -> None:
        signed_in(therapist).get(f"/patients/{patient.pk}")

        assert "Thea Therapist" not in text(signed_in(other_patient).get("/access"))
        assert "Nobody else has opened your diary yet" in text(signed_in(other_patient).get("/access"))
        assert signed_in(therapist).get("/access").status_code == 403

    def test_the_patients_own_export_carries_it_and_the_therapists_does_not(self, patient: Any, therapist: Any) -> None:
        signed_in(therapist).get(f"/patients/{patient.pk}")

        own = Api(patient).get("export", format="json").json()
        theirs = Api(therapist).get(f"patients/{patient.pk}/export", format="json").json()

        assert [(row["who"], row["what"], row["allowed"]) for row in own["access_log"]] == [
            ("Thea Therapist", "frontend:patient_detail", True),
        ]
        assert own["access_log"][0]["object_id"] is None
        assert "access_log" not in theirs
