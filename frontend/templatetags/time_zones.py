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
