"""Counted words for the pages: the one pluralisation helper, kept in the domain (diary/words.py).

The pages import it from here; templates use {% load words %} (frontend/templatetags/words.py).
"""

from __future__ import annotations

from diary.words import of_the, plural, plural_word

__all__ = ["of_the", "plural", "plural_word"]
