"""diary/zones.py: one canonical name for each place, and the lists the zone pickers offer. No database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from diary import zones
from diary.models import validate_timezone

CANONICAL = [
    # given, stored
    ("Asia/Calcutta", "Asia/Kolkata"),  # what Chromium reports in India
    ("US/Central", "America/Chicago"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("GB", "Europe/London"),
    ("Etc/UTC", "UTC"),
    ("Etc/GMT", "UTC"),
    ("Zulu", "UTC"),
    # Already canonical: itself.
    ("America/Chicago", "America/Chicago"),
    ("UTC", "UTC"),
    # Linked to Brussels in the database since 2022 for the same clocks since 1970, but a place of its own.
    ("Europe/Amsterdam", "Europe/Amsterdam"),
    ("Atlantic/Reykjavik", "Atlantic/Reykjavik"),
    # A zone, not a place, and no alias of one: itself.
    ("Etc/GMT+5", "Etc/GMT+5"),
]

# Names are case-sensitive, as in IANA.
NOT_NAMES = ["Mars/Base", "", " UTC", "Europe", "London", "Factory", "Asia/Calcutta/", "+05:30", "asia/kolkata", "utc"]


@pytest.mark.parametrize(("given", "stored"), CANONICAL)
def test_it_gives_the_canonical_name(given: str, stored: str) -> None:
    assert zones.canonical_zone(given) == stored
    # The canonical name is its own canonical name, and a zone the model accepts.
    assert zones.canonical_zone(stored) == stored
    validate_timezone(stored)


@pytest.mark.parametrize("given", NOT_NAMES)
def test_it_knows_no_canonical_name_for_what_is_not_an_iana_name(given: str) -> None:
    assert zones.canonical_zone(given) is None


def test_it_follows_every_alias_to_a_zone_with_the_same_clocks() -> None:
    """Each alias and its canonical name agree on the UTC offset, in winter and in summer."""
    moments = [datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)]
    aliases = zones.aliases()
    assert aliases["Asia/Calcutta"] == "Asia/Kolkata"
    assert len(aliases) > 100
    for alias, canonical in aliases.items():
        for moment in moments:
            assert moment.astimezone(ZoneInfo(alias)).utcoffset() == moment.astimezone(ZoneInfo(canonical)).utcoffset()


def test_the_picker_offers_each_place_once_and_no_alias() -> None:
    picker = zones.picker_zones()
    assert len(picker) == len(set(picker))
    assert not set(picker) & set(zones.aliases())
    assert {"Asia/Kolkata", "America/Chicago", "Europe/Amsterdam", "UTC"} <= set(picker)
    assert not {"Asia/Calcutta", "US/Central", "Europe/Kiev", "Etc/UTC", "GB"} & set(picker)
    assert all(zones.canonical_zone(name) == name for name in picker)
    # Only the areas people recognise, sorted, with UTC last.
    assert {name.split("/", 1)[0] for name in picker[:-1]} <= set(zones.ZONE_AREAS)
    assert list(picker[:-1]) == sorted(picker[:-1])
    assert picker[-1] == "UTC"


def test_every_zone_a_phone_may_report_has_its_place_in_the_picker() -> None:
    """Every alias of a place leads to an entry of the picker (only Etc/GMT±N-style zones are left out)."""
    picker = set(zones.picker_zones())
    missing = {alias: name for alias, name in zones.aliases().items() if name not in picker}
    assert missing == {}


def test_it_shows_the_clinics_zone_first_then_the_common_ones(settings: Any) -> None:
    settings.CLINIC_TIMEZONE = "Europe/Dublin"
    common = zones.common_zones()
    assert common[0] == "Europe/Dublin"
    assert len(common) == len(set(common))
    assert {"Europe/London", "America/Chicago", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"} <= set(common)
    assert set(common) <= set(zones.picker_zones())


def test_it_shows_a_clinic_zone_given_as_an_alias_by_its_canonical_name(settings: Any) -> None:
    settings.CLINIC_TIMEZONE = "US/Central"
    common = zones.common_zones()
    assert common[0] == "America/Chicago"
    assert common.count("America/Chicago") == 1


@pytest.mark.parametrize(
    ("name", "city", "words"),
    [
        ("America/Chicago", "Chicago", "Chicago time (America/Chicago)"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires", "Buenos Aires time (America/Argentina/Buenos_Aires)"),
        ("Europe/Paris", "Paris", "Paris time (Europe/Paris)"),
        ("UTC", "UTC", "UTC"),
    ],
)
def test_it_says_a_zone_in_words(name: str, city: str, words: str) -> None:
    assert zones.zone_city(name) == city
    assert zones.zone_words(name) == words
