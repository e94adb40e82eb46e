"""One "missed" (CLINICAL.md 1.1): the triage list's label and the missed_checkins flag agree for every gap.

Thea's patients each checked in once, 1, 2, 3 or 4 local dates ago (in London, GMT on these
dates); the rule calls it missed when none of today and the two days before has a check-in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine

from diary import services
from tests.conftest import PASSWORD, Api, signed_in

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("days_silent", "missed"), [(0, False), (1, False), (2, False), (3, True), (4, True)])
def test_the_triage_label_and_the_flag_agree(therapist: Any, days_silent: int, missed: bool) -> None:
    with time_machine.travel(NOW, tick=False):
        quiet = services.patient_signup(
            email="quinn@example.com", password=PASSWORD, timezone_name="Europe/London", display_name="Quinn Quiet"
        )
        services.link_create(patient=quiet, invite_code=therapist.invite_code)
        services.checkin_create(
            patient=quiet, client_uuid=uuid4(), recorded_at=NOW - timedelta(days=days_silent, hours=1), pain=3
        )

        page = signed_in(therapist).get("/").content.decode()
        card = re.search(r'data-name="quinn quiet".*?</li>\s*</?', page, flags=re.S)
        assert card is not None
        flags = Api(therapist).get(f"patients/{quiet.pk}/flags").json()["flags"]

    assert ("Missed:" in card.group(0)) is missed
    assert ("missed_checkins" in [flag["code"] for flag in flags]) is missed
    if days_silent >= 2:
        # The gap is always said, missed or not.
        assert f"{days_silent} days ago" in card.group(0)
