"""Days and nights are the patient's own: local dates and clock times in their zone, across DST changes.

Each check-in is built the way the server sees one: an aware instant (sent in UTC, as browsers send
it), converted to the patient's zone, and the local date, time and part of day read from that.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.trends import Entry
from tests.trends.builders import checkin_at, flag, judge, verdict

AUCKLAND = "Pacific/Auckland"  # NZDT +13 until 03:00 on 2026-04-05, then NZST +12
LOS_ANGELES = "America/Los_Angeles"  # PST −8 until 02:00 on 2026-03-08, then PDT −7
LONDON = "Europe/London"  # BST +1 until 02:00 on 2025-10-26, then GMT: 01:00–01:59 happens twice


def sent(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """The UTC instant of a local clock time in a zone (fold=1: the second of a repeated hour)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def test_it_counts_a_2am_checkin_in_auckland_as_night_though_it_is_afternoon_in_utc() -> None:
    """02:00 NZDT is 13:00 UTC the day before; the rules see an Auckland night on the Auckland date."""
    moments = [sent(AUCKLAND, 2026, 3, day, 2, 0) for day in (25, 28, 31)]
    assert [(m.date().day, m.hour) for m in moments] == [(24, 13), (27, 13), (30, 13)]
    entries = [checkin_at(moment, AUCKLAND, pain=6) for moment in moments]
    assert {entry.part_of_day for entry in entries} == {"night"}
    raised = flag("night_pain", entries, as_of=date(2026, 3, 31))
    assert raised.evidence["nights"] == ["2026-03-25", "2026-03-28", "2026-03-31"]
    # Seen in UTC the same check-ins are afternoons, and say nothing about the night.
    in_utc = [checkin_at(moment, "UTC", pain=6) for moment in moments]
    assert verdict("night_pain", in_utc, as_of=date(2026, 3, 30)) == "not enough data"


def test_it_gives_waking_to_the_local_date_of_the_morning_checkin() -> None:
    """07:00 in Auckland is 18:00 UTC the day before; 'pain woke me' belongs to the Auckland date."""
    entries = [checkin_at(sent(AUCKLAND, 2026, 3, day, 7, 0), AUCKLAND, woke_from_pain=True) for day in (29, 30, 31)]
    raised = flag("night_pain", entries, as_of=date(2026, 3, 31))
    assert raised.evidence["woke_from_pain_dates"] == ["2026-03-29", "2026-03-30", "2026-03-31"]


def test_it_reads_the_last_7_days_as_auckland_dates() -> None:
    """00:30 on Mar 25 in Auckland (Mar 24 in UTC) is in the 7 days to Mar 31; 23:30 on Mar 24 is not."""
    as_of = date(2026, 3, 31)
    inside = checkin_at(sent(AUCKLAND, 2026, 3, 25, 0, 30), AUCKLAND, symptoms=["urinary_change"])
    outside = checkin_at(sent(AUCKLAND, 2026, 3, 24, 23, 30), AUCKLAND, symptoms=["urinary_change"])
    today = checkin_at(sent(AUCKLAND, 2026, 3, 31, 9, 0), AUCKLAND, pain=2)
    assert inside.local_date == date(2026, 3, 25) and sent(AUCKLAND, 2026, 3, 25, 0, 30).date() == date(2026, 3, 24)
    assert verdict("bladder_bowel_change", [inside, today], as_of=as_of) == "fires"
    assert verdict("bladder_bowel_change", [outside, today], as_of=as_of) == "quiet"


def test_it_counts_local_dates_not_hours_across_the_spring_change() -> None:
    """Los Angeles loses an hour on Mar 8: the 7 days to Mar 11 start at 00:00 on Mar 5, not 168 hours back."""
    as_of = date(2026, 3, 11)
    end_of_as_of = datetime(2026, 3, 12, tzinfo=ZoneInfo(LOS_ANGELES))
    late_on_the_4th = sent(LOS_ANGELES, 2026, 3, 4, 23, 50)
    assert end_of_as_of - late_on_the_4th < timedelta(days=7)  # within 168 hours, because of the short day...
    outside = checkin_at(late_on_the_4th, LOS_ANGELES, symptoms=["bowel_change"])
    inside = checkin_at(sent(LOS_ANGELES, 2026, 3, 5, 0, 10), LOS_ANGELES, symptoms=["bowel_change"])
    today = checkin_at(sent(LOS_ANGELES, 2026, 3, 11, 8, 0), LOS_ANGELES, pain=1)
    assert verdict("bladder_bowel_change", [outside, today], as_of=as_of) == "quiet"  # ...but a date outside the 7
    assert verdict("bladder_bowel_change", [inside, today], as_of=as_of) == "fires"


def test_it_finds_morning_pain_that_eases_across_the_spring_change() -> None:
    """07:00 and 19:00 local every day from Mar 5 to 11 are morning and evening, whatever the UTC offset."""
    entries: list[Entry] = []
    for day in range(5, 12):
        entries.append(checkin_at(sent(LOS_ANGELES, 2026, 3, day, 7, 0), LOS_ANGELES, pain=6))
        entries.append(checkin_at(sent(LOS_ANGELES, 2026, 3, day, 19, 0), LOS_ANGELES, pain=3))
    assert {sent(LOS_ANGELES, 2026, 3, day, 7, 0).hour for day in range(5, 12)} == {14, 15}  # two offsets
    assert {(e.part_of_day, e.local_time.hour) for e in entries} == {("morning", 7), ("evening", 19)}
    raised = flag("morning_pain_eases", entries, as_of=date(2026, 3, 11))
    assert raised.evidence["days_easing"] == 7
    assert raised.since == date(2026, 3, 8)  # the fourth day with both


def test_it_stops_calling_a_fixed_utc_time_night_once_the_clocks_go_forward() -> None:
    """13:30 UTC is 05:30 PST (night) before Mar 8 and 06:30 PDT (morning) after: night pain counts only before."""
    entries = [
        checkin_at(datetime(2026, 3, day, 13, 30, tzinfo=UTC), LOS_ANGELES, pain=6, woke_from_pain=False)
        for day in range(4, 12)
    ]
    assert [e.part_of_day for e in entries] == ["night"] * 4 + ["morning"] * 4
    assert verdict("night_pain", entries, as_of=date(2026, 3, 7)) == "fires"  # 4 nights: Mar 4–7
    # By Mar 20 the 14 days (Mar 7–20) hold one night check-in (Mar 7), and mornings that were never woken.
    assert verdict("night_pain", entries, as_of=date(2026, 3, 20)) == "quiet"


def test_it_counts_the_repeated_hour_of_the_autumn_change_as_one_night() -> None:
    """01:30 happens twice in London on 2025-10-26 (BST, then GMT): two night check-ins, one night."""
    first, second = sent(LONDON, 2025, 10, 26, 1, 30), sent(LONDON, 2025, 10, 26, 1, 30, fold=1)
    assert second - first == timedelta(hours=1)
    twice = [checkin_at(first, LONDON, pain=7), checkin_at(second, LONDON, pain=7)]
    assert {(e.local_date, e.part_of_day) for e in twice} == {(date(2025, 10, 26), "night")}
    other_night = checkin_at(sent(LONDON, 2025, 10, 24, 3, 0), LONDON, pain=5)
    slept_well = checkin_at(sent(LONDON, 2025, 10, 25, 8, 0), LONDON, woke_from_pain=False)
    as_of = date(2025, 10, 31)
    assert verdict("night_pain", [*twice, other_night, slept_well], as_of=as_of) == "quiet"  # 2 nights
    third_night = checkin_at(sent(LONDON, 2025, 10, 30, 2, 15), LONDON, pain=4)
    raised = flag("night_pain", [*twice, other_night, slept_well, third_night], as_of=as_of)
    assert raised.evidence["nights"] == ["2025-10-24", "2025-10-26", "2025-10-30"]


def test_it_keeps_the_first_pain_of_the_day_in_local_time_on_the_autumn_change() -> None:
    """On Auckland's 25-hour day (2026-04-05) the 02:30 NZST check-in comes after 02:30 NZDT, and both are night."""
    as_of = date(2026, 4, 8)
    entries: list[Entry] = []
    for day in range(5, 9):
        entries.append(checkin_at(sent(AUCKLAND, 2026, 4, day, 8, 0), AUCKLAND, pain=5))
        entries.append(checkin_at(sent(AUCKLAND, 2026, 4, day, 20, 0), AUCKLAND, pain=2))
    # On the long day: pain 8 at the first 02:30, pain 1 at the second; the first pain of the day is the 8,
    # even when the second 02:30 reached the server first (a lower id).
    later = checkin_at(sent(AUCKLAND, 2026, 4, 5, 2, 30, fold=1), AUCKLAND, pain=1)
    earlier = checkin_at(sent(AUCKLAND, 2026, 4, 5, 2, 30), AUCKLAND, pain=8)
    assert later.id < earlier.id and later.local_time == earlier.local_time
    entries += [later, earlier]
    raised = flag("morning_pain_eases", entries, as_of=as_of)
    assert raised.evidence["first_pain"] == [8, 5, 5, 5]
    assert judge(entries, as_of=as_of).as_of == as_of
