from __future__ import annotations

from typing import Any

from diary.models import CheckIn
from tests.conftest import checkin_body


def test_it_stores_a_checkin_once(patient: Any, api: Any) -> None:
    client = api(patient)
    body = checkin_body()
    first = client.post("checkins", body)
    assert first.status_code == 201, first.content
    again = client.post("checkins", body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert CheckIn.objects.count() == 1
