"""The trend pages: charts and their tables, the time-of-day picture, the visit summary, the triage list.

Who may open each page is in test_page_access.py; here is what they show.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary import services
from tests.conftest import PASSWORD, signed_in
from tests.frontend.pages import text

# 12:00 UTC on Tuesday 10 March 2026: 12:00 in London, 05:00 in Los Angeles (on summer
# time since Sunday 8 March).
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CHART_KINDS = ("time-of-day", "movement", "pain", "tiredness", "sleep", "weight", "exercise")


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def checkin(patient: Any, when: datetime, **fields: Any) -> Any:
    return services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=when, **fields).checkin


class _Figures(HTMLParser):
    """The page's chart figures: each image's src and alt, its caption's text, and its tables' rows."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}  # caption id → rows of cell texts
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "img":
            self.images.append(found)
        elif tag == "table":
            self._table = []
        elif tag == "caption" and self._table is not None:
            self.tables[found.get("id", f"table-{len(self.tables)}")] = self._table
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def figures(response: Any) -> _Figures:
    parser = _Figures()
    parser.feed(text(response))
    return parser


def column(rows: list[list[str]], heading: str) -> dict[str, str]:
    """A data table's column as {date cell: value cell}, without the "not answered" words."""
    index = rows[0].index(heading)
    return {row[0]: row[index].replace("not answered", "").strip() for row in rows[1:]}


class TestChartData:
    """The figures behind each chart equal the check-ins, day by day in the patient's own zone."""

    def test_it_puts_each_checkin_on_the_patients_local_date_not_the_utc_one(self, other_patient: Any) -> None:
        # 03:30 UTC on Monday 9 March is 20:30 on Sunday 8 March in Los Angeles: an evening.
        checkin(other_patient, datetime(2026, 3, 9, 3, 30, tzinfo=UTC), pain=7, movement_effect="no_change")
        checkin(other_patient, datetime(2026, 3, 7, 16, 0, tzinfo=UTC), pain=3, fatigue=6)  # 08:00 on the 7th

        page = figures(signed_in(other_patient).get("/trends?days=7"))

        pain = column(page.tables["chart-pain-caption"], "Highest")
        assert pain["Sun 8 Mar"] == "7"
        assert pain["Mon 9 Mar"] == "–"
        assert pain["Sat 7 Mar"] == "3"
        parts = page.tables["time-of-day-caption"]
        assert column(parts, "Evening")["Sun 8 Mar"] == "7"
        assert column(parts, "Morning")["Sat 7 Mar"] == "3"
        assert column(page.tables["chart-tiredness-caption"], "Highest tiredness")["Sat 7 Mar"] == "6"

    def test_every_day_of_the_period_has_a_row_with_or_without_checkins(self, patient: Any) -> None:
        checkin(patient, NOW - timedelta(hours=2), pain=4)

        for days in (7, 30, 90):
            page = figures(signed_in(patient).get(f"/trends?days={days}"))
            for caption in ("chart-pain-caption", "chart-sleep-caption", "time-of-day-caption"):
                dates = [row[0] for row in page.tables[caption][1:]]
                assert len(dates) == days, caption
                assert dates[-1] == "Tue 10 Mar"

    def test_each_table_holds_the_days_figures(self, patient: Any) -> None:
        day = datetime(2026, 3, 9, tzinfo=UTC)  # London is on UTC in March
        checkin(patient, day + timedelta(hours=7), pain=8, sleep_hours=5.5, weight_kg=71.2)
        checkin(patient, day + timedelta(hours=13), pain=4, exercise_minutes=20, fatigue=5)
        checkin(patient, day + timedelta(hours=20), pain=2, exercise_minutes=15, fatigue=8)

        page = figures(signed_in(patient).get("/trends?days=7"))

        pain = page.tables["chart-pain-caption"]
        assert (
            column(pain, "First of day")["Mon 9 Mar"],
            column(pain, "Last of day")["Mon 9 Mar"],
            column(pain, "Highest")["Mon 9 Mar"],
        ) == ("8", "2", "8")
        assert column(page.tables["chart-sleep-caption"], "Sleep (hours)")["Mon 9 Mar"] == "5.5"
        assert column(page.tables["chart-weight-caption"], "Weight (kg)")["Mon 9 Mar"] == "71.2"
        assert column(page.tables["chart-exercise-caption"], "Exercise (minutes)")["Mon 9 Mar"] == "35"
        assert column(page.tables["chart-tiredness-caption"], "Highest tiredness")["Mon 9 Mar"] == "8"

    def test_the_therapist_sees_the_same_figures_on_the_patients_page(self, patient: Any, therapist: Any) -> None:
        checkin(patient, datetime(2026, 3, 9, 3, 0, tzinfo=UTC), pain=9, woke_from_pain=True)

        mine = figures(signed_in(patient).get("/trends"))
        theirs = figures(signed_in(therapist).get(f"/patients/{patient.pk}"))

        for caption in ("chart-pain-caption", "time-of-day-caption", "chart-weight-caption"):
            assert theirs.tables[caption] == mine.tables[caption]
        assert column(theirs.tables["time-of-day-caption"], "Night")["Mon 9 Mar"] == "9"


class TestTextAlternatives:
    def test_every_chart_has_a_sentence_an_image_with_alt_text_and_a_table(self, patient: Any) -> None:
        checkin(patient, NOW - timedelta(hours=3), pain=6, fatigue=5, movement_effect="worse")

        response = signed_in(patient).get("/trends")

        page = figures(response)
        charts = [image for image in page.images if "/charts/" in image["src"]]
        assert sorted(re.search(r"/charts/([\w-]+)\.svg", image["src"]).group(1) for image in charts) == sorted(  # type: ignore[union-attr]
            CHART_KINDS
        )
        assert all(len(image["alt"]) > 20 for image in charts)
        content = text(response)
        for kind in ("pain", "tiredness", "sleep", "weight", "exercise"):
            assert f'id="chart-{kind}-summary"' in content
            assert f"chart-{kind}-caption" in page.tables
        assert "Pain on 1 of the 30 days from Feb 9 to Mar 10" in content
        assert "The one check-in that said: moving made the pain worse." in content
        # The averages by part of day are a table of their own, not only a picture.
        assert "Average by part of day" in content

    def test_the_page_says_so_when_there_is_no_data(self, patient: Any) -> None:
        content = text(signed_in(patient).get("/trends"))

        assert "No pain scores in the 30 days from Feb 9 to Mar 10." in content
        assert "No check-in said whether moving changed the pain." in content


class TestPeriod:
    def test_it_shows_dates_of_ones_own(self, patient: Any) -> None:
        page = figures(signed_in(patient).get("/trends?start=2026-02-01&end=2026-02-14"))

        dates = [row[0] for row in page.tables["chart-pain-caption"][1:]]
        assert (dates[0], dates[-1], len(dates)) == ("Sun 1 Feb", "Sat 14 Feb", 14)
        images = [image["src"] for image in page.images if "/charts/" in image["src"]]
        assert all(src.endswith("?start=2026-02-01&end=2026-02-14") for src in images)

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("start=2026-03-01&end=2026-03-11", "The period cannot end after today."),
            ("start=2026-03-05&end=2026-03-01", "The period must start on or before the day it ends."),
            ("start=2025-01-01&end=2026-03-01", "A period can be at most 366 days long."),
            ("start=2026-03-01", "Give both dates of the period."),
            ("start=2026-02-30&end=2026-03-01", "Enter a valid date."),
            ("days=0", "A period is 7 to 365 days long."),
            ("days=seven", "A period is 7 to 365 days long."),
        ],
    )
    def test_a_period_that_makes_no_sense_says_why_and_shows_the_last_30_days(
        self, patient: Any, query: str, message: str
    ) -> None:
        response = signed_in(patient).get(f"/trends?{query}")

        assert response.status_code == 200
        assert message in text(response)
        assert len(figures(response).tables["chart-pain-caption"]) == 31  # a heading row and 30 days

    def test_the_current_period_is_marked_in_words_not_only_colour(self, patient: Any) -> None:
        content = text(signed_in(patient).get("/trends?days=7"))

        assert re.search(r'aria-current="true"><span class="visually-hidden">Last </span>7 days', content)
        assert content.count('aria-current="true"') == 1


class TestChartImages:
    def test_each_chart_is_an_svg_that_is_never_stored(self, patient: Any, therapist: Any) -> None:
        checkin(patient, NOW - timedelta(hours=3), pain=6, fatigue=5, sleep_hours=7, weight_kg=70)
        for client, base in (
            (signed_in(patient), "/trends/charts"),
            (signed_in(therapist), f"/patients/{patient.pk}/charts"),
        ):
            for kind in CHART_KINDS:
                response = client.get(f"{base}/{kind}.svg?start=2026-02-09&end=2026-03-10")

                assert response.status_code == 200, kind
                assert response["Content-Type"] == "image/svg+xml"
                assert "no-store" in response["Cache-Control"]
                # Scripts can never run in it; only Matplotlib's inline styles are allowed.
                assert "default-src 'none'" in response["Content-Security-Policy"]
                assert "script-src" not in response["Content-Security-Policy"]
                root = ElementTree.fromstring(response.content)  # noqa: S314 (our own server's SVG)
                assert root.tag == "{http://www.w3.org/2000/svg}svg"

    def test_a_charts_figures_cost_the_same_queries_for_one_checkin_as_for_twenty(self, patient: Any) -> None:
        """The picture loads only the check-in fields the charts read: none is fetched again row by row."""
        from diary import selectors
        from diary.flags import flags_with_checkins

        def queries() -> int:
            flags = flags_with_checkins(patient)
            with CaptureQueriesContext(connection) as captured:
                picture = selectors.trend_picture(patient, NOW.date() - timedelta(days=9), NOW.date(), flags=flags)
            assert sum(row["checkins"] for row in picture.days) == checkins
            return len(captured)

        checkin(
            patient, NOW - timedelta(hours=3), pain=6, symptoms=["night_sweats"], notes="n", pain_locations=["neck"]
        )
        checkins = 1
        one = queries()
        for hour in range(19):
            checkin(
                patient, NOW - timedelta(days=hour % 9, hours=hour + 1), pain=hour % 11, weight_kg=70, sleep_hours=7
            )
        checkins = 20
        assert queries() == one

    def test_the_same_figures_draw_the_same_image(self, patient: Any) -> None:
        checkin(patient, NOW - timedelta(hours=3), pain=6)
        client = signed_in(patient)
        url = "/trends/charts/pain.svg?start=2026-03-04&end=2026-03-10"

        assert client.get(url).content == client.get(url).content

    def test_a_new_checkin_changes_the_image(self, patient: Any) -> None:
        client = signed_in(patient)
        url = "/trends/charts/pain.svg?start=2026-03-04&end=2026-03-10"
        before = client.get(url).content

        # A minute later: the cached image's version is when the flags were last judged
        # (diary/chart_cache.py), the same for every write under a stopped clock.
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            checkin(patient, NOW - timedelta(hours=3), pain=6)

        assert client.get(url).content != before

    def test_a_bad_period_or_chart_name_is_refused(self, patient: Any) -> None:
        client = signed_in(patient)

        assert client.get("/trends/charts/pain.svg?start=2026-03-04&end=2026-04-10").status_code == 400
        assert client.get("/trends/charts/pain.svg?days=3").status_code == 400
        assert client.get("/trends/charts/pie.svg").status_code == 404

    def test_the_sparkline_is_an_svg(self, patient: Any, therapist: Any) -> None:
        checkin(patient, NOW - timedelta(hours=3), pain=6)

        response = signed_in(therapist).get(f"/patients/{patient.pk}/sparkline.svg")

        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        ElementTree.fromstring(response.content)  # noqa: S314 (our own server's SVG)


class TestVisitSummary:
    def test_it_shows_who_the_period_flags_with_evidence_and_notable_notes(self, patient: Any) -> None:
        weak = checkin(
            patient, NOW - timedelta(hours=5), pain=8, symptoms=["limb_weakness"], notes="Legs gave way on stairs"
        )
        checkin(patient, NOW - timedelta(days=2), pain=2, notes="Quiet day, walked the dog")
        checkin(patient, NOW - timedelta(days=3), pain=7, notes="Bad night", exercise_minutes=20)
        checkin(patient, NOW - timedelta(days=4), pain=3, exercise_minutes=10)

        response = signed_in(patient).get("/summary?days=30")

        content = text(response)
        assert response.status_code == 200
        assert "Visit summary" in content
        assert "Pat Patient" in content
        assert "9 February 2026 to 10 March 2026 (30 days)" in content
        assert "4 on 4 of the 30 days" in content
        # The emergency flag, with the check-in behind it.
        assert "Emergency" in content
        assert "Tue 10 Mar 07:00 (morning): pain 8/10" in content
        # Notes with high pain or a warning symptom; not the quiet day's.
        assert "Legs gave way on stairs" in content
        assert "Bad night" in content
        assert "Quiet day" not in content
        assert "2 of the 3 notes in this period" in content
        assert "Therapy exercise on 2 of the 30 days from Feb 9 to Mar 10, 30 minutes in all" in content
        assert "/trends/charts/pain.svg?start=2026-02-09&amp;end=2026-03-10" in content
        assert weak.pk  # the check-in exists; its id is never shown
        assert "data-print" in content

    def test_the_therapist_gets_the_same_summary_for_a_linked_patient(self, patient: Any, therapist: Any) -> None:
        checkin(patient, NOW - timedelta(days=3), pain=9, notes="Could not sleep")

        response = signed_in(therapist).get(f"/patients/{patient.pk}/summary?days=7")

        content = text(response)
        assert "Pat Patient" in content
        assert "Could not sleep" in content
        assert f"/patients/{patient.pk}/charts/time-of-day.svg?start=2026-03-04&amp;end=2026-03-10" in content

    def test_notes_are_text_never_markup(self, patient: Any) -> None:
        checkin(patient, NOW - timedelta(hours=1), pain=9, notes='<script>alert(1)</script><img src=x onerror="x()">')

        content = text(signed_in(patient).get("/summary"))

        assert "<script>alert(1)" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;x()&quot;&gt;" in content

    def test_it_is_linked_from_both_views(self, patient: Any, therapist: Any) -> None:
        assert "/summary?start=2026-02-09&amp;end=2026-03-10" in text(signed_in(patient).get("/trends"))
        therapist_page = text(signed_in(therapist).get(f"/patients/{patient.pk}?days=7"))
        assert f"/patients/{patient.pk}/summary?start=2026-03-04&amp;end=2026-03-10" in therapist_page


class TestTriageList:
    def add_patients(self, therapist: Any, count: int, start: int = 0) -> None:
        for n in range(start, start + count):
            extra = services.patient_signup(email=f"p{n}@example.com", password=PASSWORD, timezone_name="UTC")
            services.link_create(patient=extra, invite_code=therapist.invite_code)
            for day in range(3):
                checkin(extra, NOW - timedelta(days=day, hours=1), pain=(n + day) % 11, fatigue=4)

    def queries_for_list(self, therapist: Any) -> int:
        client = signed_in(therapist)
        client.get("/")  # the flags of a new day are judged once; then the list is read
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    def test_it_costs_the_same_queries_for_5_patients_as_for_50(self, db: Any) -> None:
        few = services.therapist_create(email="few@example.com", password=PASSWORD, display_name="Few")
        many = services.therapist_create(email="many@example.com", password=PASSWORD, display_name="Many")
        self.add_patients(few, 5)
        self.add_patients(many, 50, start=100)

        assert self.queries_for_list(few) == self.queries_for_list(many)

    def test_each_row_says_the_pain_of_the_last_14_days_and_when_they_last_checked_in(
        self, patient: Any, other_patient: Any, therapist: Any
    ) -> None:
        for day, pain in enumerate([3, 3, 3, 3, 3, 3, 3, 7, 7, 7, 8, 8, 8, 8]):
            checkin(patient, NOW - timedelta(days=13 - day, hours=1), pain=pain)
        checkin(other_patient, NOW - timedelta(days=3), pain=2)

        content = text(signed_in(therapist).get("/"))

        assert "Pain 3–8/10 in 14 days, latest 8, rising" in content
        assert "<strong>Missed:</strong> last check-in 3 days ago" in content
        assert content.count("Missed:") == 1
        assert f'src="/patients/{patient.pk}/sparkline.svg"' in content

    def test_a_patient_who_never_checked_in_is_shown_as_such(self, patient: Any, therapist: Any) -> None:
        content = text(signed_in(therapist).get("/"))

        assert content.count("No check-ins yet") == 2
        assert content.count("No pain scores in 14 days") == 2

    def test_the_filter_is_in_the_page_and_each_row_carries_its_level_and_name(
        self, patient: Any, therapist: Any
    ) -> None:
        checkin(patient, NOW - timedelta(hours=1), pain=5, symptoms=["limb_weakness"])

        content = text(signed_in(therapist).get("/"))

        assert "data-triage-filter hidden" in content
        assert 'data-levels="emergency" data-name="pat patient"' in content
        assert 'data-levels="none" data-name="olive other"' in content
        assert "frontend/triage" in content


def test_the_top_flag_comes_first_on_each_card(patient: Any, therapist: Any) -> None:
    checkin(patient, NOW - timedelta(hours=1), pain=5, symptoms=["limb_weakness", "blood_in_urine"])
    content = text(signed_in(therapist).get("/"))

    card = content[content.index('data-name="pat patient"') :]
    card = card[: card.index("</li>\n")]
    assert "EMERGENCY" in card.upper()
    assert "1 more flag" in card


def test_the_whole_diary_can_be_downloaded_from_both_views(patient: Any, therapist: Any) -> None:
    checkin(patient, NOW - timedelta(hours=1), pain=5, notes="Walked to the shop")
    mine, theirs = signed_in(patient), signed_in(therapist)

    own_links = re.findall(r'href="([^"]+\?format=(?:csv|json|fhir))" download', text(mine.get("/trends")))
    their_links = re.findall(
        r'href="([^"]+\?format=(?:csv|json|fhir))" download', text(theirs.get(f"/patients/{patient.pk}"))
    )

    assert own_links == ["/api/v1/export?format=csv", "/api/v1/export?format=json", "/api/v1/export?format=fhir"]
    assert their_links == [f"/api/v1/patients/{patient.pk}/export?format={f}" for f in ("csv", "json", "fhir")]
    for client, url in [(mine, own_links[0]), (theirs, their_links[0])]:
        response = client.get(url)
        assert response.status_code == 200
        assert re.fullmatch(r'attachment; filename="diary-[a-z-]+-\d+-[\d-]+\.csv"', response["Content-Disposition"])
        assert "Walked to the shop" in response.content.decode()
