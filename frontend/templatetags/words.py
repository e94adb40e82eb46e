"""Template side of frontend/words.py: {{ count|counted:"check-in" }} → "3 check-ins"."""

from __future__ import annotations

from django import template

from frontend import devices, words

register = template.Library()


@register.filter
def counted(count: int, singular: str) -> str:
    """The count and the word. An irregular plural goes after a comma: {{ n|counted:"person,people" }}."""
    one, _, many = singular.partition(",")
    return words.plural(int(count), one, many or None)


@register.filter
def counted_word(count: int, singular: str) -> str:
    """The word alone, for "{{ n }} {{ n|counted_word:'check-in' }} behind it" where the count is styled apart."""
    one, _, many = singular.partition(",")
    return words.plural_word(int(count), one, many or None)


@register.filter
def device(user_agent: str) -> str:
    """A session's User-Agent as "Chrome on Android" (frontend/devices.py)."""
    return devices.device_words(user_agent or "")
