"""One home for each limit (diary/limits.py): the model, the API and the page say the same thing about it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from diary import limits
from diary.models import CheckIn
from frontend.forms import CheckinForm
from tests.conftest import checkin_body

# field, the limit, a value just outside it
OUT_OF_RANGE = [
    ("pain", limits.PAIN, 11),
    ("fatigue", limits.FATIGUE, 11),
    ("sleep_hours", limits.SLEEP_HOURS, 24.5),
    ("weight_kg", limits.WEIGHT_KG, 19.9),
    ("exercise_minutes", limits.EXERCISE_MINUTES, 1441),
]


@pytest.mark.parametrize(("field", "limit", "value"), OUT_OF_RANGE, ids=[row[0] for row in OUT_OF_RANGE])
def test_the_api_and_the_model_say_the_same_about_a_value_out_of_range(
    patient: Any, api: Any, field: str, limit: limits.Range, value: float
) -> None:
    response = api(patient).post("checkins", checkin_body(**{field: value}))
    assert response.status_code == 400
    assert response.json() == {field: [limit.message]}

    checkin = CheckIn(patient=patient, **{field: value})
    with pytest.raises(ValidationError) as refused:
        checkin.clean_fields(exclude=["recorded_at", "local_date", "part_of_day"])
    assert refused.value.message_dict[field] == [limit.message]


@pytest.mark.parametrize(("field", "limit", "value"), OUT_OF_RANGE[2:], ids=[row[0] for row in OUT_OF_RANGE[2:]])
def test_the_page_says_the_same(field: str, limit: limits.Range, value: float) -> None:
    form = CheckinForm({field: str(value)})
    assert not form.is_valid()
    assert form.errors[field] == [limit.message]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "limit", "value"), OUT_OF_RANGE, ids=[row[0] for row in OUT_OF_RANGE])
def test_the_database_refuses_what_the_limit_refuses(
    patient: Any, field: str, limit: limits.Range, value: float
) -> None:
    from datetime import date

    from django.utils import timezone

    at_edge = {field: limit.high}
    CheckIn.objects.create(
        patient=patient, recorded_at=timezone.now(), local_date=date.today(), part_of_day="morning", **at_edge
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            patient=patient,
            recorded_at=timezone.now(),
            local_date=date.today(),
            part_of_day="morning",
            **{field: value},
        )


def test_notes_have_one_limit_everywhere(patient: Any, api: Any) -> None:
    too_long = "x" * (limits.NOTES_MAX_LENGTH + 1)
    assert api(patient).post("checkins", checkin_body(notes=too_long)).json() == {"notes": [limits.NOTES_TOO_LONG]}
    form = CheckinForm({"notes": too_long, "pain": "3"})
    assert not form.is_valid()
    assert form.errors["notes"] == [limits.NOTES_TOO_LONG_COUNTED % {"show_value": len(too_long)}]
