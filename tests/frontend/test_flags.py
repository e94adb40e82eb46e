"""Flags on the pages: the patient's safety net, the therapist's triage list and acknowledgement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.utils import timezone

from diary import services, trends
from diary.flags import flag_acknowledge
from diary.models import FlagAcknowledgement
from tests.conftest import signed_in
from tests.frontend.pages import submit, text


def make_checkin(patient: Any, hours_ago: float = 1, **fields: Any) -> Any:
    recorded_at = timezone.now() - timedelta(hours=hours_ago)
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, **fields).checkin


class TestPatientSafetyNet:
    def test_an_emergency_symptom_leads_straight_to_what_to_do_now(self, patient: Any) -> None:
        """Without JavaScript: the redirect after saving goes to a page that says to call now, and why."""
        client = signed_in(patient)
        response = submit(client, "/", {"pain": "5", "symptoms": ["limb_weakness"]})
        assert response["Location"] == "/alert"

        page = text(client.get("/alert"))
        phone = settings.CLINIC_ACUTE_PHONE
        assert "Get help now" in page
        assert f'href="tel:{phone.replace(" ", "")}"' in page
        assert f"Call {phone} now" in page
        assert "emergency services" in page
        assert "arms or legs weak or heavy" in page.lower()

    def test_the_emergency_stays_on_the_home_page_while_it_is_active(self, patient: Any) -> None:
        make_checkin(patient, symptoms=["bladder_control_loss"])
        page = text(signed_in(patient).get("/"))
        assert page.index("Get help now") < page.index("How are you right now?")
        assert "tel:" in page

    def test_an_urgent_flag_asks_to_contact_the_care_team_within_24_hours(self, patient: Any) -> None:
        client = signed_in(patient)
        response = submit(client, "/", {"fatigue": "3", "symptoms": ["blood_in_urine"]})
        assert response["Location"] == "/alert"
        page = text(client.get("/alert"))
        assert "Contact your care team within 24 hours" in page
        assert "Get help now" not in page

    def test_an_ordinary_checkin_goes_back_home(self, patient: Any) -> None:
        response = submit(signed_in(patient), "/", {"pain": "3", "movement_effect": "worse"})
        assert response["Location"] == "/"

    def test_the_home_page_names_each_flag_in_plain_words_with_its_level(self, patient: Any) -> None:
        for day in range(3):
            make_checkin(patient, hours_ago=24 * day + 1, symptoms=["difficulty_sleeping"])
        page = text(signed_in(patient).get("/"))
        assert "What your diary shows" in page
        assert "Mention this at your next visit" in page


class TestTherapistViews:
    def test_the_list_puts_the_most_urgent_patient_first_and_names_the_level(
        self, patient: Any, other_patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, pain=2)
        make_checkin(other_patient, symptoms=["difficulty_walking"])
        page = text(signed_in(therapist).get("/"))
        assert page.index(other_patient.name) < page.index(patient.name)
        assert "Emergency" in page

    def test_a_triage_card_shows_the_top_flag_the_others_folded_and_what_is_acknowledged(
        self, patient: Any, other_patient: Any, therapist: Any
    ) -> None:
        """The cards are made in Python (frontend/templatetags/triage.py): same words, still escaped."""
        services.profile_update(user=patient, display_name="Pat <b>Bold</b>")
        make_checkin(patient, pain=4, symptoms=["blood_in_stool", "difficulty_walking"])
        flag_acknowledge(patient=patient, therapist=therapist, code="blood_in_stool_or_urine", note="Seen")
        response = signed_in(therapist).get("/")
        page = text(response)

        assert "Pat &lt;b&gt;Bold&lt;/b&gt;" in page
        assert "<b>Bold</b>" not in page
        assert 'data-name="pat &lt;b&gt;bold&lt;/b&gt;"' in page
        assert 'data-levels="emergency urgent"' in page
        assert "1 more flag</summary>" in page
        # The emergency on top, open; the acknowledged urgent flag folded under it, marked as seen.
        urgent = trends.RULES_BY_CODE["blood_in_stool_or_urine"].clinician_title
        assert f'<li>Urgent: {urgent} <span class="hint">(acknowledged)</span></li>' in page
        # Olive has never checked in; no card says "(acknowledged)" for a flag nobody saw.
        assert "No check-ins yet" in page
        assert page.count("(acknowledged)") == 1
        assert f'src="/patients/{patient.pk}/sparkline.svg"' in page

    def test_the_patient_page_shows_the_evidence_the_source_and_an_acknowledge_form(
        self, patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, pain=4, symptoms=["blood_in_stool"])
        page = text(signed_in(therapist).get(f"/patients/{patient.pk}"))
        rule = trends.RULES_BY_CODE["blood_in_stool_or_urine"]
        assert rule.title in page
        assert rule.source in page
        assert "Source:" in page
        assert "The 1 check-in behind it" in page
        assert f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge" in page

    def test_acknowledging_records_who_and_the_note_and_a_new_checkin_raises_it_again(
        self, patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, symptoms=["blood_in_stool"])
        client = signed_in(therapist)
        url = f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge"
        response = submit(client, url, {"note": "Phoned; GP today"}, form_page=f"/patients/{patient.pk}")
        assert response.status_code == 302
        ack = FlagAcknowledgement.objects.get()
        assert (ack.therapist, ack.note, ack.code) == (therapist, "Phoned; GP today", "blood_in_stool_or_urine")
        page = text(client.get(f"/patients/{patient.pk}"))
        assert "Acknowledged by" in page
        assert url not in page

        make_checkin(patient, hours_ago=0.5, symptoms=["blood_in_urine"])
        assert url in text(client.get(f"/patients/{patient.pk}"))

    def test_an_unlinked_therapist_cannot_acknowledge(
        self, patient: Any, therapist: Any, unlinked_therapist: Any
    ) -> None:
        make_checkin(patient, symptoms=["blood_in_stool"])
        client = signed_in(unlinked_therapist)
        response = submit(client, f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge", form_page="/")
        assert response.status_code == 404
        assert not FlagAcknowledgement.objects.exists()


class TestAlertsOnlyForNews:
    """CLINICAL.md 1.1 on the plain-form path: the full-screen page only when a check-in makes news."""

    def test_pain_2_after_an_emergency_goes_home_with_a_calm_line(self, patient: Any) -> None:
        client = signed_in(patient)
        assert submit(client, "/", {"symptoms": ["limb_weakness"]})["Location"] == "/alert"
        response = submit(client, "/", {"pain": "2"})
        assert response["Location"] == "/"
        page = text(client.get("/"))
        assert "If a doctor has not checked you yet, call your acute oncology line now." in page
        # The emergency guidance stays at the top of the diary while the flag is active.
        assert page.index("Get help now") < page.index("How are you right now?")

    def test_the_same_emergency_symptom_again_shows_the_guidance_again(self, patient: Any, therapist: Any) -> None:
        client = signed_in(patient)
        submit(client, "/", {"symptoms": ["limb_weakness"]})
        flag_acknowledge(
            patient=patient,
            therapist=therapist,
            code="spinal_cord_compression_signs",
            note="Seen in clinic; MRI booked.",
            share_with_patient=True,
        )
        assert submit(client, "/", {"symptoms": ["limb_weakness"]})["Location"] == "/alert"
        page = text(client.get("/alert"))
        assert "Your care team saw this on" in page
        assert "Seen in clinic; MRI booked." in page

    def test_an_open_urgent_flag_is_on_the_home_page_with_what_to_do(self, patient: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_urine"])
        page = text(signed_in(patient).get("/"))
        assert page.index("Contact your care team within 24 hours") < page.index("How are you right now?")

    def test_every_patient_page_says_what_to_do_by_level(self, patient: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_urine", "urinary_change"])
        client = signed_in(patient)
        for url in ("/", "/trends", "/summary"):
            page = text(client.get(url))
            assert "Contact your care team within 24 hours" in page, url
            assert "Mention this at your next visit or in a message to your therapist" in page, url

    def test_an_unshared_note_never_reaches_the_patients_pages(self, patient: Any, therapist: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_urine"])
        flag_acknowledge(
            patient=patient, therapist=therapist, code="blood_in_stool_or_urine", note="Private: query tumour."
        )
        client = signed_in(patient)
        for url in ("/", "/trends", "/summary", "/alert"):
            page = text(client.get(url))
            assert "Your care team saw this on" in page, url
            assert "Private: query tumour." not in page, url


class TestTherapistWording:
    def test_the_therapist_reads_the_clinicians_words_and_the_rules_name_not_its_code(
        self, patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, symptoms=["limb_weakness"])
        client = signed_in(therapist)
        rule = trends.RULES_BY_CODE["spinal_cord_compression_signs"]
        for url in ("/", f"/patients/{patient.pk}", f"/patients/{patient.pk}/summary"):
            page = text(client.get(url))
            assert rule.clinician_title in page, url
            assert "Rule: spinal_cord_compression_signs" not in page, url
        detail = text(client.get(f"/patients/{patient.pk}"))
        assert f"<h3>{rule.clinician_title}</h3>" in detail
        assert f"Rule: {rule.name}" in detail

    def test_acknowledging_with_a_follow_up_date_and_sharing_the_note(self, patient: Any, therapist: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_stool"])
        client = signed_in(therapist)
        url = f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge"
        follow_up = services.selectors.today_for(patient) + timedelta(days=3)
        response = submit(
            client,
            url,
            {"note": "Phoned; GP today", "follow_up_on": follow_up.isoformat(), "share_with_patient": "1"},
            form_page=f"/patients/{patient.pk}",
        )
        assert response.status_code == 302
        ack = FlagAcknowledgement.objects.get()
        assert (ack.follow_up_on, ack.share_with_patient, ack.level) == (follow_up, True, "urgent")
        assert "Phoned; GP today" in text(signed_in(patient).get("/"))

    def test_a_follow_up_in_the_past_is_refused_with_a_message(self, patient: Any, therapist: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_stool"])
        client = signed_in(therapist)
        url = f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge"
        yesterday = services.selectors.today_for(patient) - timedelta(days=1)
        submit(client, url, {"follow_up_on": yesterday.isoformat()}, form_page=f"/patients/{patient.pk}")
        assert not FlagAcknowledgement.objects.exists()
        assert "Choose a follow-up date from today to a year ahead" in text(client.get(f"/patients/{patient.pk}"))
