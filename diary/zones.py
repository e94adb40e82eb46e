"""Time zone names as people meet them: one canonical name for each place, and the lists a picker offers.

Read from the pinned `tzdata` package (requirements.txt), so the names agree with the rules
zoneinfo uses. No database.

A canonical name here is a place a person would pick: an entry of the database's zone.tab
(at least one per country, such as Europe/Amsterdam or Asia/Kolkata) or UTC. Every other name
is an alias, stored as the name it links to: Asia/Calcutta is Asia/Kolkata, US/Central is
America/Chicago. The database also links some zone.tab places to a bigger city with the same
clocks since 1970 (Europe/Amsterdam to Europe/Brussels); those links are not followed, or a
Dutch patient would read that her diary keeps Brussels time.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from django.conf import settings

UTC = "UTC"

# The IANA areas people recognise. zone.tab lists only places in these today; the filter
# keeps the picker to them if a later release adds one elsewhere.
ZONE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

# Shown first in the pickers, after the clinic's own zone: where most patients and their
# travels are, so few people scroll through ~420 places.
COMMON_ZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)

# No offset and no daylight saving, ever: the same clock as the picker's UTC, so stored as it.
_ALWAYS_UTC = frozenset({"Etc/UTC", "Etc/GMT"})
# In the database but not a place (diary.models.validate_timezone refuses it too).
_NOT_PLACES = frozenset({"Factory"})


def _tzdata(name: str) -> str:
    return files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@cache
def _database() -> tuple[frozenset[str], dict[str, str]]:
    """The zones ("Z NAME …" lines of tzdata.zi) and the links ("L TARGET ALIAS"), alias → target."""
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in _tzdata("tzdata.zi").splitlines():
        fields = line.split()
        if fields[:1] == ["Z"]:
            zones.add(fields[1])
        elif fields[:1] == ["L"]:
            links[fields[2]] = fields[1]
    return frozenset(zones - _NOT_PLACES), links


@cache
def _places() -> frozenset[str]:
    """The canonical names: zone.tab's places in the usual areas, and UTC."""
    places = set()
    for line in _tzdata("zone.tab").splitlines():
        if line and not line.startswith("#"):
            name = line.split("\t")[2]
            if name.split("/", 1)[0] in ZONE_AREAS:
                places.add(name)
    return frozenset(places | {UTC})


@cache
def _names() -> frozenset[str]:
    zones, links = _database()
    return zones | frozenset(links)


def canonical_zone(name: str) -> str | None:
    """The canonical name for any IANA name or alias; None for anything else.

    A zone that is neither a place nor an alias of one (Etc/GMT+5) is itself. Names are
    case-sensitive, as in IANA: the API has always refused "europe/london" (tests/api/test_timezones.py).
    """
    if name not in _names():
        return None
    if name in _places():
        return name
    target = _database()[1].get(name, name)
    return UTC if target in _ALWAYS_UTC else target


@cache
def aliases() -> dict[str, str]:
    """Every name that is stored as another, and that other: {"Asia/Calcutta": "Asia/Kolkata", …}.

    Worked out once per process (the zone database does not change while it runs): the check-in
    page asks for one zone's old names on every render."""
    found = {name: canonical_zone(name) for name in _names()}
    return {name: canonical for name, canonical in found.items() if canonical is not None and canonical != name}


@cache
def picker_zones() -> tuple[str, ...]:
    """What a zone picker offers: every canonical name once, sorted, with UTC last."""
    return (*sorted(_places() - {UTC}), UTC)


def common_zones() -> tuple[str, ...]:
    """The zones shown first: the clinic's own, then COMMON_ZONES, each once."""
    clinic = canonical_zone(settings.CLINIC_TIMEZONE) or UTC
    return tuple(dict.fromkeys((clinic, *COMMON_ZONES)))


def zone_city(name: str) -> str:
    """The place a zone is named after: "America/Argentina/Buenos_Aires" → "Buenos Aires"."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def zone_words(name: str) -> str:
    """A zone in words: "America/Chicago" → "Chicago time (America/Chicago)"; UTC stays "UTC".

    frontend/static/frontend/zones.js says the same in the browser.
    """
    return f"{zone_city(name)} time ({name})" if "/" in name else name
