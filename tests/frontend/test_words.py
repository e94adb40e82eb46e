"""The one pluralisation helper (frontend/words.py) and its template filters."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from frontend import words


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 check-ins"), (1, "1 check-in"), (2, "2 check-ins"), (21, "21 check-ins")],
)
def test_it_counts_check_ins(count: int, expected: str) -> None:
    assert words.plural(count, "check-in") == expected


def test_it_knows_irregular_plurals() -> None:
    assert words.plural(2, "person") == "2 people"
    assert words.plural(2, "night", "nights") == "2 nights"


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 1, "the only note"), (2, 2, "both notes"), (3, 3, "all 3 notes"), (2, 5, "2 of the 5 notes")],
)
def test_it_says_a_part_of_a_whole_without_1_of_the_1(part: int, whole: int, expected: str) -> None:
    assert words.of_the(part, whole, "note") == expected


def test_the_template_filters_use_the_helper() -> None:
    template = Template(
        '{% load words %}{{ one|counted:"check-in" }}; {{ many|counted:"person,people" }}; {{ one|counted_word:"day" }}'
    )
    assert template.render(Context({"one": 1, "many": 3})) == "1 check-in; 3 people; day"
