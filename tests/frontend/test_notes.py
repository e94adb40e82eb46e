"""Therapist notes: a dated note on a patient's timeline, for the care team and never for the patient."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from diary import services
from diary.models import CareLink, TherapistNote
from tests.conftest import PASSWORD, Api, signed_in
from tests.frontend.pages import status_messages, submit, text

# Tuesday 10 March 2026, 12:00 UTC: noon in London, already 01:00 on Wednesday 11 March in Auckland.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def page_url(patient: Any) -> str:
    return f"/patients/{patient.pk}"


def notes_url(patient: Any) -> str:
    return f"/patients/{patient.pk}/notes"


def delete_url(note: Any, patient: Any | None = None) -> str:
    return f"/patients/{(patient or note.patient).pk}/notes/{note.pk}/delete"


def make_checkin(patient: Any, when: datetime, **fields: Any) -> Any:
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=when, **fields).checkin


def row_header(days_ago: int) -> str:
    """How the timeline heads a check-in's row from this many days before TODAY: "Tue 10 Mar 2026"."""
    day = TODAY - timedelta(days=days_ago)
    return f'<span class="checkin-date">{day:%a} {day.day} {day:%b %Y}</span>'


def make_note(patient: Any, therapist: Any, text: str, written_on: date = TODAY) -> TherapistNote:
    return services.therapist_note_create(patient=patient, therapist=therapist, written_on=written_on, text=text)


def add_note(client: Any, patient: Any, note_text: str, written_on: str = "2026-03-10") -> Any:
    """Fill in "Add a note" on the patient's page and press Save note."""
    data = {"written_on": written_on, "text": note_text}
    return submit(client, notes_url(patient), data, form_page=page_url(patient))


def textarea(response: Any) -> str:
    """What the note box shows, unescaped as a browser would send it back."""
    match = re.search(r'<textarea name="text"[^>]*>\n?(.*?)</textarea>', text(response), re.DOTALL)
    assert match, "no note box on the page"
    return match.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@time_machine.travel(NOW, tick=False)
class NotesTestCase(TestCase):
    """The people every test here talks about, built once per class."""

    pat: Any
    olive: Any
    thea: Any
    theo: Any
    uma: Any

    @classmethod
    def setUpTestData(cls) -> None:
        # Pat keeps a diary in London and shares it with two therapists, Thea and Theo.
        cls.pat = services.patient_signup(
            email="pat@example.com", password=PASSWORD, timezone_name="Europe/London", display_name="Pat Patient"
        )
        # Olive, a second patient, lives in Auckland (already tomorrow there); she shares with Thea only.
        cls.olive = services.patient_signup(
            email="olive@example.com", password=PASSWORD, timezone_name="Pacific/Auckland", display_name="Olive Other"
        )
        # Thea: Pat's and Olive's therapist, who writes most of the notes here.
        cls.thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
        # Theo: Pat's second therapist. He reads Thea's notes about Pat but cannot delete them.
        cls.theo = services.therapist_create(email="theo@example.com", password=PASSWORD, display_name="Theo Second")
        # Uma: a therapist nobody linked to.
        cls.uma = services.therapist_create(email="uma@example.com", password=PASSWORD, display_name="Uma Unlinked")
        services.link_create(patient=cls.pat, invite_code=cls.thea.invite_code)
        services.link_create(patient=cls.pat, invite_code=cls.theo.invite_code)
        services.link_create(patient=cls.olive, invite_code=cls.thea.invite_code)


class TestWritingNotes(NotesTestCase):
    def test_a_note_stands_on_the_timeline_above_the_checkins_of_its_day(self) -> None:
        """Newest first, like the check-ins; the note heads its own day and says who wrote it."""
        make_checkin(self.pat, datetime(2026, 3, 10, 8, 0, tzinfo=UTC), pain=3, notes="tenth-checkin")
        make_checkin(self.pat, datetime(2026, 3, 9, 18, 0, tzinfo=UTC), pain=5, notes="ninth-evening")
        make_checkin(self.pat, datetime(2026, 3, 9, 8, 0, tzinfo=UTC), pain=6, notes="ninth-morning")
        make_checkin(self.pat, datetime(2026, 3, 8, 8, 0, tzinfo=UTC), pain=7, notes="eighth-checkin")
        client = signed_in(self.thea)

        response = add_note(client, self.pat, "Phoned Pat: new exercises", written_on="2026-03-09")

        note = TherapistNote.objects.get()
        assert (note.patient, note.author, note.written_on) == (self.pat, self.thea, date(2026, 3, 9))
        assert note.text == "Phoned Pat: new exercises"
        assert response.status_code == 302
        assert response["Location"] == f"{page_url(self.pat)}#note-{note.pk}"
        page = client.get(page_url(self.pat))
        assert "Note saved for Monday 9 March 2026." in status_messages(page)
        content = text(page)
        order = ["tenth-checkin", "Phoned Pat: new exercises", "ninth-evening", "ninth-morning", "eighth-checkin"]
        positions = [content.index(marker) for marker in order]
        assert positions == sorted(positions)
        assert 'id="note-' in content
        assert "Therapist note</span> for" in content
        assert "Mon 9 Mar 2026</time> by Thea Therapist" in content

    def test_the_day_offered_is_today_where_the_patient_lives(self) -> None:
        """Noon in London is already Wednesday in Auckland: Olive's today is the 11th, and the 12th is refused."""
        client = signed_in(self.thea)
        content = text(client.get(page_url(self.olive)))
        assert 'type="date" name="written_on" value="2026-03-11"' in content
        assert 'max="2026-03-11"' in content

        assert add_note(client, self.olive, "Seen today", written_on="2026-03-11").status_code == 302
        refused = add_note(client, self.olive, "Too early", written_on="2026-03-12")
        assert refused.status_code == 200
        assert "A note can be about today or an earlier day. It is 11 March 2026" in text(refused)
        assert list(TherapistNote.objects.values_list("text", flat=True)) == ["Seen today"]

    def test_the_other_therapist_of_the_patient_reads_the_note_but_is_offered_no_delete(self) -> None:
        note = make_note(self.pat, self.thea, "Shared with the team")

        theirs = text(signed_in(self.theo).get(page_url(self.pat)))
        assert "Shared with the team" in theirs
        assert "by Thea Therapist" in theirs
        assert delete_url(note) not in theirs
        assert "Delete this note" not in theirs

        mine = text(signed_in(self.thea).get(page_url(self.pat)))
        assert f'href="{delete_url(note)}"' in mine
        assert "Delete this note" in mine

    def test_a_note_shows_as_plain_text_with_its_line_breaks(self) -> None:
        make_note(self.pat, self.thea, "<script>alert('x')</script> & <b>bold</b>\nsecond line")

        content = text(signed_in(self.thea).get(page_url(self.pat)))

        assert "<script>alert" not in content
        assert "<b>bold</b>" not in content
        assert (
            '<p class="notes">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;\n'
            "second line</p>"
        ) in content

    def test_the_patient_does_not_see_the_notes_and_cannot_write_one(self) -> None:
        make_note(self.pat, self.thea, "For the care team only")
        client = signed_in(self.pat)
        for url in ("/", "/history", "/settings", "/links"):
            assert "For the care team only" not in text(client.get(url)), url

        response = submit(client, notes_url(self.pat), {"written_on": "2026-03-10", "text": "mine"}, form_page="/")

        assert response.status_code == 403
        assert TherapistNote.objects.count() == 1

    def test_a_signed_out_visitor_is_sent_to_sign_in(self) -> None:
        data = {"written_on": "2026-03-10", "text": "anonymous"}
        response = submit(signed_in(None), notes_url(self.pat), data, form_page="/login")
        assert response.status_code == 302
        assert response["Location"] == f"/login?next={notes_url(self.pat)}"
        assert not TherapistNote.objects.exists()


class TestRefusedNotes(NotesTestCase):
    """A note that cannot be saved says why, keeps what was typed, and stores nothing."""

    def assert_refused(self, response: Any, message: str) -> str:
        assert response.status_code == 200
        content = text(response)
        assert "Your note was not saved." in status_messages(response)
        assert 'class="error-summary"' in content
        assert message in content
        assert not TherapistNote.objects.exists()
        return content

    def test_an_empty_note(self) -> None:
        response = add_note(signed_in(self.thea), self.pat, "  \n  ")
        self.assert_refused(response, "Write the note before saving it.")
        assert 'value="2026-03-10"' in text(response)

    def test_a_note_longer_than_2000_characters(self) -> None:
        typed = "word " * 400 + "x"
        response = add_note(signed_in(self.thea), self.pat, typed)
        self.assert_refused(response, "A note can be at most 2000 characters; this one has 2001.")
        assert textarea(response) == typed

    def test_a_day_after_the_patients_today(self) -> None:
        response = add_note(signed_in(self.thea), self.pat, "Plan for tomorrow <ok>", written_on="2026-03-11")
        self.assert_refused(response, "A note can be about today or an earlier day. It is 10 March 2026")
        assert textarea(response) == "Plan for tomorrow <ok>"
        assert 'value="2026-03-11"' in text(response)

    def test_a_day_that_is_not_a_date(self) -> None:
        response = add_note(signed_in(self.thea), self.pat, "Kept", written_on="the 9th")
        self.assert_refused(response, "Give the day as a date, like 2026-03-10.")
        assert textarea(response) == "Kept"

    def test_line_breaks_count_once_as_the_browser_counts_them(self) -> None:
        """The box's maxlength counts a line break as one character; the browser sends it as two (CR LF)."""
        typed = "a" * 999 + "\r\n" + "b" * 1000
        assert add_note(signed_in(self.thea), self.pat, typed).status_code == 302
        assert TherapistNote.objects.get().text == "a" * 999 + "\n" + "b" * 1000

    def test_the_page_links_lead_back_to_the_patient_page(self) -> None:
        """The refused form is shown at the form's address; "Older" must not point there (it is POST only)."""
        for hour in range(31):
            make_checkin(self.pat, NOW - timedelta(hours=hour + 1), pain=2)
        response = add_note(signed_in(self.thea), self.pat, "")
        assert f'href="{page_url(self.pat)}?page=2" rel="next"' in text(response)


class TestWhoMayDoWhat(NotesTestCase):
    def test_the_author_deletes_their_note(self) -> None:
        note = make_note(self.pat, self.thea, "Wrong patient, sorry", written_on=date(2026, 3, 9))
        client = signed_in(self.thea)

        response = submit(client, delete_url(note), form_page=page_url(self.pat))

        assert response.status_code == 302
        assert response["Location"] == f"{page_url(self.pat)}#timeline"
        assert not TherapistNote.objects.exists()
        page = client.get(page_url(self.pat))
        assert "Your note for Monday 9 March 2026 was deleted." in status_messages(page)
        assert "Wrong patient, sorry" not in text(page)

    def test_another_therapist_of_the_patient_cannot_delete_it(self) -> None:
        """Theo can read Thea's note, so he gets 403 (not 404) when he tries to delete it."""
        note = make_note(self.pat, self.thea, "Thea's to keep")
        response = submit(signed_in(self.theo), delete_url(note), form_page=page_url(self.pat))
        assert response.status_code == 403
        assert TherapistNote.objects.filter(pk=note.pk).exists()

    def test_an_unlinked_therapist_gets_404_and_changes_nothing(self) -> None:
        note = make_note(self.pat, self.thea, "Not for Uma")
        client = signed_in(self.uma)

        page = client.get(page_url(self.pat))
        created = submit(client, notes_url(self.pat), {"written_on": "2026-03-10", "text": "Uma's"}, form_page="/")
        deleted = submit(client, delete_url(note), form_page="/")

        assert (page.status_code, created.status_code, deleted.status_code) == (404, 404, 404)
        assert "Not for Uma" not in text(page)
        assert list(TherapistNote.objects.all()) == [note]

    def test_a_note_is_reached_only_through_its_own_patient(self) -> None:
        """Thea has both patients, but Pat's note is not Olive's to delete: 404, and the note stays."""
        note = make_note(self.pat, self.thea, "About Pat")
        response = submit(signed_in(self.thea), delete_url(note, patient=self.olive), form_page="/")
        assert response.status_code == 404
        assert TherapistNote.objects.filter(pk=note.pk).exists()
        assert "About Pat" not in text(signed_in(self.thea).get(page_url(self.olive)))

    def test_a_therapist_whose_link_ended_gets_404_and_the_team_keeps_the_note(self) -> None:
        note = make_note(self.pat, self.thea, "Written while linked")
        link = CareLink.objects.get(patient=self.pat, therapist=self.thea, ended_at__isnull=True)
        services.link_end(link=link, by=self.pat)
        client = signed_in(self.thea)

        page = client.get(page_url(self.pat))
        created = submit(client, notes_url(self.pat), {"written_on": "2026-03-10", "text": "After"}, form_page="/")
        deleted = submit(client, delete_url(note), form_page="/")

        assert (page.status_code, created.status_code, deleted.status_code) == (404, 404, 404)
        assert list(TherapistNote.objects.all()) == [note]
        assert "Written while linked" in text(signed_in(self.theo).get(page_url(self.pat)))


class TestTimelinePages(NotesTestCase):
    def test_each_note_stands_on_the_page_that_covers_its_day(self) -> None:
        """30 check-ins a page: a note heads its day on the page holding that day's newest check-in.

        The first page also covers up to today, the last page everything older than its check-ins.
        One check-in a day at 08:00 for 70 days, two on day 29 (the newer ends page 1, the older starts page 2).
        """
        for day in range(70):
            make_checkin(self.pat, NOW - timedelta(days=day, hours=4), pain=day % 11)
        make_checkin(self.pat, NOW - timedelta(days=29, hours=5), pain=1)
        notes = {
            "today": TODAY,
            "day-29": TODAY - timedelta(days=29),
            "day-30": TODAY - timedelta(days=30),
            "day-65": TODAY - timedelta(days=65),
            "before-the-diary": TODAY - timedelta(days=200),
        }
        for label, day in notes.items():
            make_note(self.pat, self.thea, f"note-{label}", written_on=day)
        client = signed_in(self.thea)

        pages = {number: text(client.get(f"{page_url(self.pat)}?page={number}")) for number in (1, 2, 3)}

        where = {label: [n for n, content in pages.items() if f"note-{label}<" in content] for label in notes}
        assert where == {"today": [1], "day-29": [1], "day-30": [2], "day-65": [3], "before-the-diary": [3]}
        # Above the check-ins of its own day, below the newer days'.
        first, last = pages[1], pages[3]
        assert first.index("note-today") < first.index(row_header(0))
        assert first.index(row_header(28)) < first.index("note-day-29") < first.index(row_header(29))
        assert last.index(row_header(64)) < last.index("note-day-65") < last.index(row_header(65))
        assert last.index(row_header(69)) < last.index("note-before-the-diary")

    def test_after_saving_it_shows_the_page_with_the_new_note(self) -> None:
        for day in range(40):
            make_checkin(self.pat, NOW - timedelta(days=day, hours=4), pain=3)
        client = signed_in(self.thea)

        response = add_note(client, self.pat, "About an older day", written_on="2026-02-01")

        note = TherapistNote.objects.get()
        assert response["Location"] == f"{page_url(self.pat)}?page=2#note-{note.pk}"
        assert "About an older day" in text(client.get(response["Location"]))

    def test_the_patient_page_needs_no_more_queries_for_20_notes_than_for_2(self) -> None:
        for day in range(3):
            make_checkin(self.pat, NOW - timedelta(days=day, hours=4), pain=4)
        client = signed_in(self.thea)
        for n in range(2):
            make_note(self.pat, (self.thea, self.theo)[n % 2], f"note {n}", written_on=TODAY - timedelta(days=n))
        with CaptureQueriesContext(connection) as two:
            assert client.get(page_url(self.pat)).status_code == 200

        for n in range(2, 20):
            make_note(self.pat, (self.thea, self.theo)[n % 2], f"note {n}", written_on=TODAY - timedelta(days=n))
        with CaptureQueriesContext(connection) as twenty:
            response = client.get(page_url(self.pat))

        assert text(response).count('class="note-row"') == 20
        assert len(twenty) == len(two), [query["sql"] for query in twenty.captured_queries]


class TestErasingAccounts(NotesTestCase):
    def test_erasing_the_patients_account_erases_the_notes_about_them(self) -> None:
        make_note(self.pat, self.thea, "About Pat")
        make_note(self.pat, self.theo, "Also about Pat")
        olives = make_note(self.olive, self.thea, "About Olive", written_on=date(2026, 3, 11))

        response = Api(self.pat).delete("me", {"password": PASSWORD})

        assert response.status_code == 204
        assert list(TherapistNote.objects.all()) == [olives]

    def test_a_therapist_who_erases_their_account_leaves_the_note_signed_a_former_therapist(self) -> None:
        note = make_note(self.pat, self.theo, "Handover from Theo")

        assert Api(self.theo).delete("me", {"password": PASSWORD}).status_code == 204

        note.refresh_from_db()
        assert note.author is None
        client = signed_in(self.thea)
        content = text(client.get(page_url(self.pat)))
        assert "Handover from Theo" in content
        assert "by a former therapist" in content
        assert delete_url(note) not in content
        assert submit(client, delete_url(note), form_page=page_url(self.pat)).status_code == 403
        assert TherapistNote.objects.filter(pk=note.pk).exists()


class TestNoteRules(NotesTestCase):
    """The rules in diary.services and the database, whoever calls them. Who may write is the views'
    gatekeeper (test_an_unlinked_therapist_gets_404_and_changes_nothing)."""

    def test_whitespace_only_text_is_refused_and_text_is_trimmed(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            make_note(self.pat, self.thea, " \n\t ")
        assert caught.exception.message_dict == {"text": ["Write the note before saving it."]}
        assert make_note(self.pat, self.thea, "  padded \n").text == "padded"

    def test_only_the_author_deletes(self) -> None:
        note = make_note(self.pat, self.thea, "Thea's")
        with self.assertRaises(PermissionDenied):
            services.therapist_note_delete(note=note, by=self.theo)
        services.therapist_note_delete(note=note, by=self.thea)
        assert not TherapistNote.objects.exists()

    def test_the_database_refuses_an_empty_or_overlong_note(self) -> None:
        for bad in ("", "x" * 2001):
            with self.subTest(length=len(bad)), self.assertRaises(IntegrityError), transaction.atomic():
                TherapistNote.objects.create(patient=self.pat, author=self.thea, written_on=TODAY, text=bad)

    def test_the_note_text_never_reaches_the_logs(self) -> None:
        """Saved, refused, deleted, and tried by people who may not: none of it logs what the note says."""
        secret = "private-note-5e1a"
        thea = signed_in(self.thea)
        with self.assertLogs(level="DEBUG") as logs:
            add_note(thea, self.pat, secret)
            add_note(thea, self.pat, secret + "x" * 2000)
            add_note(thea, self.pat, secret, written_on="2026-03-11")
            note = TherapistNote.objects.get()
            submit(signed_in(self.theo), delete_url(note), form_page=page_url(self.pat))
            outsider = {"written_on": "2026-03-10", "text": secret}
            submit(signed_in(self.uma), notes_url(self.pat), outsider, form_page="/")
            submit(thea, delete_url(note), form_page=page_url(self.pat))
        logged = "\n".join(f"{record.name} {record.getMessage()}" for record in logs.records)
        assert "Forbidden" in logged and "Not Found" in logged, logged
        assert secret not in logged
