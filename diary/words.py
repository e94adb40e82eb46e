"""Counted words for the pages: "1 check-in", "3 check-ins", "1 of the 3 notes".

One home for pluralisation, so no page says "Of 1 check-ins". Pure Python, no Django import, here in
the domain so that the sentences of diary/charts.py use it too; the pages reach it as frontend.words
and through the `words` template filters. English only: the app is not translated.
"""

from __future__ import annotations

# Words whose plural is not the singular plus "s".
IRREGULAR = {"person": "people", "was": "were", "is": "are", "has": "have", "diary": "diaries"}


def plural_word(count: int, singular: str, plural: str | None = None) -> str:
    """The word alone, in the form that goes with count ("check-in" or "check-ins")."""
    if count == 1:
        return singular
    if plural is not None:
        return plural
    return IRREGULAR.get(singular, singular + "s")


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """The count and the word: plural(1, "check-in") is "1 check-in", plural(0, "note") is "0 notes"."""
    return f"{count} {plural_word(count, singular, plural)}"


def of_the(part: int, whole: int, singular: str, plural: str | None = None) -> str:
    """A part of a whole without "1 of the 1 note": "the only note", "both notes", "2 of the 5 notes"."""
    word = plural_word(whole, singular, plural)
    if whole == 1:
        return f"the only {word}" if part == 1 else f"none of the one {word}"
    if part == whole:
        return f"both {word}" if whole == 2 else f"all {whole} {word}"
    return f"{part} of the {whole} {word}"
