"""What a newcomer tripped on as a therapist (issue 15): the timeline, the list's filter, downloads, words."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.utils import timezone

from diary import services
from tests.conftest import signed_in
from tests.frontend.pages import submit, text


def make_checkin(patient: Any, hours_ago: float = 1, **fields: Any) -> Any:
    recorded_at = timezone.now() - timedelta(hours=hours_ago)
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=recorded_at, **fields).checkin


def timeline_of(page: str) -> str:
    """The check-ins part of the patient page, after its heading."""
    return page[page.index('id="timeline"') :]


class TestTimeline:
    def test_the_timeline_shows_scores_symptoms_in_words_and_the_note_in_one_row(
        self, patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, pain=7, fatigue=6, symptoms=["night_sweats"], notes="woke twice", sleep_hours=5.5)
        timeline = timeline_of(text(signed_in(therapist).get(f"/patients/{patient.pk}")))
        row = timeline[timeline.index("<tbody>") : timeline.index("</tbody>")]
        assert "Pain 7/10" in row
        assert "Tiredness 6/10" in row
        assert "Heavy sweating at night" in row
        assert "woke twice" in row
        assert "Sleep 5.5 hours" in row
        # Five columns that wrap, not a 14-column table that scrolls sideways.
        assert timeline.count('scope="col"') == 5
        assert "data-wide" not in timeline

    def test_the_timeline_filters_to_check_ins_with_symptoms_or_with_notes_without_javascript(
        self, patient: Any, therapist: Any
    ) -> None:
        make_checkin(patient, hours_ago=3, pain=2, notes="a quiet day")
        make_checkin(patient, hours_ago=2, pain=3, symptoms=["night_sweats"])
        make_checkin(patient, hours_ago=1, pain=4)
        client = signed_in(therapist)

        everything = timeline_of(text(client.get(f"/patients/{patient.pk}")))
        assert everything.count('class="checkin-row"') == 3
        assert 'name="show"' in everything

        with_symptoms = timeline_of(text(client.get(f"/patients/{patient.pk}?show=symptoms")))
        assert with_symptoms.count('class="checkin-row"') == 1
        assert "Heavy sweating at night" in with_symptoms
        assert "a quiet day" not in with_symptoms

        with_notes = timeline_of(text(client.get(f"/patients/{patient.pk}?show=notes")))
        assert with_notes.count('class="checkin-row"') == 1
        assert "a quiet day" in with_notes

    def test_an_unknown_filter_shows_everything(self, patient: Any, therapist: Any) -> None:
        make_checkin(patient, pain=4)
        page = timeline_of(text(signed_in(therapist).get(f"/patients/{patient.pk}?show=nonsense")))
        assert page.count('class="checkin-row"') == 1


class TestTriageList:
    def test_the_level_filter_sees_every_flag_of_a_patient_not_only_the_top_one(
        self, patient: Any, therapist: Any
    ) -> None:
        """An emergency on top and a review below: "Review only" must still find her (triage.js reads data-levels)."""
        make_checkin(patient, symptoms=["difficulty_walking", "blood_in_stool"])
        page = text(signed_in(therapist).get("/"))
        card = page[page.index('class="card triage-card') :]
        levels = card[card.index('data-levels="') + len('data-levels="') :].split('"')[0].split()
        assert levels[0] == "emergency"
        assert "urgent" in levels


class TestAcknowledging:
    def test_acknowledging_a_flag_comes_back_to_that_flag(self, patient: Any, therapist: Any) -> None:
        make_checkin(patient, symptoms=["blood_in_stool"])
        client = signed_in(therapist)
        url = f"/patients/{patient.pk}/flags/blood_in_stool_or_urine/acknowledge"
        response = submit(client, url, {"note": "Phoned"}, form_page=f"/patients/{patient.pk}")
        assert response.status_code == 302
        assert response["Location"] == f"/patients/{patient.pk}#flag-blood_in_stool_or_urine"


class TestDownloads:
    def test_downloads_are_named_after_the_patient_their_id_and_the_date(self, patient: Any, therapist: Any) -> None:
        services.profile_update(user=patient, display_name="Pat O'Neill")
        make_checkin(patient, pain=3)
        today = services.selectors.today_for(patient).isoformat()
        client = signed_in(therapist)
        for export_format, suffix in (("csv", "csv"), ("json", "json"), ("fhir", "fhir.json")):
            response = client.get(f"/api/v1/patients/{patient.pk}/export?format={export_format}")
            assert response["Content-Disposition"] == (
                f'attachment; filename="diary-pat-oneill-{patient.pk}-{today}.{suffix}"'
            )

    def test_a_name_beyond_ascii_keeps_its_letters_in_filename_star(self, patient: Any, therapist: Any) -> None:
        """RFC 6266: an ASCII fallback for old clients, the name as written (UTF-8, percent-encoded) for the rest."""
        services.profile_update(user=patient, display_name="Zoë Łukasik")
        today = services.selectors.today_for(patient).isoformat()
        response = signed_in(therapist).get(f"/api/v1/patients/{patient.pk}/export?format=csv")
        assert response["Content-Disposition"] == (
            f'attachment; filename="diary-zoe-ukasik-{patient.pk}-{today}.csv"; '
            f"filename*=UTF-8''diary-zo%C3%AB-%C5%82ukasik-{patient.pk}-{today}.csv"
        )

    def test_a_name_with_no_latin_letters_falls_back_to_patient(self, patient: Any, therapist: Any) -> None:
        services.profile_update(user=patient, display_name="李明")
        today = services.selectors.today_for(patient).isoformat()
        response = signed_in(therapist).get(f"/api/v1/patients/{patient.pk}/export?format=json")
        assert response["Content-Disposition"].startswith(
            f"attachment; filename=\"diary-patient-{patient.pk}-{today}.json\"; filename*=UTF-8''diary-%E6%9D%8E"
        )

    def test_the_csv_names_the_patient_on_every_row(self, patient: Any, therapist: Any) -> None:
        """Two leading columns, not a comment block: every CSV reader still reads the header row first."""
        services.profile_update(user=patient, display_name="=Pat")
        make_checkin(patient, hours_ago=2, pain=3)
        make_checkin(patient, pain=4)
        content = signed_in(therapist).get(f"/api/v1/patients/{patient.pk}/export?format=csv").content.decode()
        rows = list(csv.DictReader(io.StringIO(content)))
        assert content.startswith("patient_id,patient_name,record,id,")
        assert [(row["patient_id"], row["patient_name"]) for row in rows] == [(str(patient.pk), "'=Pat")] * 2


class TestVisitSummary:
    def test_a_repeated_note_is_printed_once_and_the_rest_are_counted(self, patient: Any, therapist: Any) -> None:
        for day in range(3):
            make_checkin(patient, hours_ago=24 * day + 1, pain=8, notes="Woke at three with the back pain.")
        for day in range(3, 10):
            make_checkin(patient, hours_ago=24 * day + 1, pain=8, notes=f"Bad day number {day}.")
        page = text(signed_in(therapist).get(f"/patients/{patient.pk}/summary"))
        assert page.count("Woke at three with the back pain.") == 1
        assert "also on 2 earlier check-ins" in page
        # Five entries: the repeated sentence and four others; three more are counted, not printed.
        assert page.count("Bad day number") == 4
        assert "3 more in the diary." in page

    def test_the_printed_evidence_keeps_woken_by_pain_and_every_page_names_the_patient(
        self, patient: Any, therapist: Any
    ) -> None:
        for night in range(3):
            make_checkin(patient, hours_ago=24 * night + 1, pain=7, woke_from_pain=True)
        page = text(signed_in(therapist).get(f"/patients/{patient.pk}/summary"))
        assert "woken by pain" in page[page.index("Flags today") : page.index("When pain happens")]
        assert 'data-running-head="Pat Patient · ' in page


class TestWords:
    ANDROID_CHROME = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    )
    IPHONE_SAFARI = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1"
    )
    WINDOWS_EDGE = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
    )

    def test_where_you_are_signed_in_names_the_browser_and_system_not_the_raw_user_agent(self, therapist: Any) -> None:
        from frontend.devices import device_words

        assert device_words(self.ANDROID_CHROME) == "Chrome on Android"
        assert device_words(self.IPHONE_SAFARI) == "Safari on iPhone"
        assert device_words(self.WINDOWS_EDGE) == "Edge on Windows"
        assert device_words("curl/8.0") == "A browser"
        client = signed_in(therapist)
        page = text(client.get("/settings", HTTP_USER_AGENT=self.ANDROID_CHROME))
        assert "Mozilla/5.0" not in page

    def test_the_therapists_settings_speak_to_a_therapist(self, therapist: Any) -> None:
        page = text(signed_in(therapist).get("/settings"))
        assert "Shown to the patients who share their diary with you." in page
        assert "re-dates every check-in you stored" not in page

    def test_choosing_a_new_password_shows_the_apps_hint_not_djangos_rules(self, patient: Any) -> None:
        from frontend.forms import NewPasswordForm

        form = NewPasswordForm(patient)
        assert form.fields["new_password1"].help_text.startswith("At least 12 characters.")
        assert "<li>" not in str(form.fields["new_password1"].help_text)


class TestWhoHasSeenMyDiary:
    def test_a_visit_is_one_line_with_its_parts_and_the_address_only_in_the_details(
        self, patient: Any, therapist: Any
    ) -> None:
        start = datetime(2026, 12, 3, 14, 2, tzinfo=UTC)  # 14:02 in London in December
        with time_machine.travel(start, tick=False):
            thea = signed_in(therapist)
            thea.get("/", REMOTE_ADDR="203.0.113.7")
        with time_machine.travel(start + timedelta(minutes=3), tick=False):
            thea.get(f"/patients/{patient.pk}", REMOTE_ADDR="203.0.113.7")
            for kind in ("pain", "sleep"):
                thea.get(f"/patients/{patient.pk}/charts/{kind}.svg", REMOTE_ADDR="203.0.113.7")
        with time_machine.travel(start + timedelta(minutes=7), tick=False):
            thea.get(f"/patients/{patient.pk}/summary", REMOTE_ADDR="203.0.113.7")
        with time_machine.travel(start + timedelta(minutes=45), tick=False):
            signed_in(therapist).get("/", REMOTE_ADDR="203.0.113.7")  # signed in again: 30 idle minutes end a session
            content = text(signed_in(patient).get("/access"))

        assert content.count('class="card') == 2
        assert (
            'Thea Therapist</strong> <span class="hint">(therapist)</span> looked at your diary on '
            "Thu 3 Dec, 14:02–14:09: list, diary, charts, summary."
        ) in content
        assert "saw you in their list of patients on Thu 3 Dec, 14:47." in content
        # The address is in the details only, never in the visit's line.
        details = content.index("<details")
        assert content.index("203.0.113.7") > details
        assert content.count("<details") == 2


def picture(start: Any, end: Any, **extra: Any) -> Any:
    from diary import charts

    return charts.TrendPicture(
        start=start,
        end=end,
        days=charts.daily_rows([], start, end),
        time_of_day=charts.time_of_day([], start, end),
        **extra,
    )


class TestCharts:
    def test_an_empty_weight_chart_says_so_instead_of_drawing_an_axis(self) -> None:
        from datetime import date

        from frontend.drawing import weight_chart

        svg = weight_chart(picture(date(2026, 3, 1), date(2026, 3, 30))).decode()
        assert "No weight recorded" in svg
        assert "0.05" not in svg and "−0.05" not in svg

    def test_the_90_day_axis_names_months_and_the_legend_explains_the_diamonds(self) -> None:
        from datetime import date

        from frontend.drawing import pain_chart

        start, end = date(2026, 9, 3), date(2026, 12, 1)
        svg = pain_chart(picture(start, end, flag_dates=frozenset({date(2026, 11, 30)}))).decode()
        assert ">Dec<" in svg
        assert "1 De<" not in svg and "1 Dec<" not in svg
        assert "day behind a flag" in svg
