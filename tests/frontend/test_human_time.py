"""Times on the therapist's list read the way people say them, in the reader's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from frontend.templatetags.diary_pages import human_time

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 3, 10, 8, 12, tzinfo=UTC), "UTC", "today 08:12"),
        (datetime(2026, 3, 10, 12, 3, tzinfo=UTC), "UTC", "today 12:03"),  # a phone clock a little fast
        (datetime(2026, 3, 9, 19, 40, tzinfo=UTC), "UTC", "yesterday 19:40"),
        (datetime(2026, 3, 7, 9, 0, tzinfo=UTC), "UTC", "3 days ago"),
        (datetime(2026, 2, 28, 9, 0, tzinfo=UTC), "UTC", "28 February 2026"),
        # 23:30 UTC on the 9th is already the 10th in Tokyo.
        (datetime(2026, 3, 9, 23, 30, tzinfo=UTC), "Asia/Tokyo", "today 08:30"),
        (None, "UTC", "No check-ins yet"),
    ],
)
def test_it_says_when_in_plain_words(moment: datetime | None, zone: str, expected: str) -> None:
    with timezone.override(zone):
        assert human_time(moment, now=NOW) == expected
