"""Time zone names for the pages' scripts (frontend/static/frontend/zones.js)."""

from __future__ import annotations

from functools import cache

from django import template

from diary import zones

register = template.Library()


@register.simple_tag
@cache
def zone_aliases() -> str:
    """Every alias and its canonical name, for a data-zone-aliases attribute: "Asia/Calcutta=Asia/Kolkata …".

    A phone may report an old name (Chromium says Asia/Calcutta for India); the scripts show and
    compare the canonical name, the one the diary stores.
    """
    return " ".join(f"{alias}={name}" for alias, name in sorted(zones.aliases().items()))


@register.simple_tag
def zone_aliases_of(name: str) -> str:
    """The old names of one zone only, in zone_aliases's form ("GB=Europe/London …").

    Enough for the check-in page's travel prompt, which must not ask a patient whose phone reports
    an old name of the diary's own zone; a phone on another zone is offered it under the name it
    reports (the server stores its canonical name). The full list is 4 KB on every check-in.
    """
    canonical = zones.canonical_zone(name) or name
    return " ".join(f"{alias}={to}" for alias, to in sorted(zones.aliases().items()) if to == canonical)
