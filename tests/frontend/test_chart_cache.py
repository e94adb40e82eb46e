"""Chart images kept in the shared cache (diary/chart_cache.py): drawn once, drawn anew after every write
that changes what they show, and never a way around the gatekeeper.

Each test counts the drawings: a chart served from the cache calls no drawing function.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine

from diary import chart_cache, medication, services
from diary.flags import flag_acknowledge, flags_current_for
from diary.models import AuditEvent, MedicineKind, Relief, WeightUnit
from frontend import drawing
from tests.conftest import clear_cache, signed_in

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # noon in London
PERIOD = "start=2026-03-01&end=2026-03-10"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    # The clock runs: a diary's version is the time its flags were last judged (diary/chart_cache.py),
    # which a stopped clock would give to every write alike.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each chart was drawn (not served from the cache)."""
    counts: Counter[str] = Counter()

    def counting(kind: str, draw: Callable[..., bytes]) -> Callable[..., bytes]:
        def drawn(*args: Any) -> bytes:
            counts[kind] += 1
            return draw(*args)

        return drawn

    for kind, draw in list(drawing.CHARTS.items()):
        monkeypatch.setitem(drawing.CHARTS, kind, counting(kind, draw))
    monkeypatch.setattr(drawing, "weight_chart", counting("weight", drawing.weight_chart))
    return counts


@pytest.fixture
def diary(patient: Any) -> Any:
    """Pat's diary: a few check-ins and an as-needed dose in the period."""
    for hours, pain in ((30, 4), (6, 6), (3, 5)):
        checkin(patient, pain=pain, fatigue=3, weight_kg=70, hours_ago=hours)
    medicine = medication.medicine_create(patient=patient, name="Paracetamol", kind=MedicineKind.AS_NEEDED)
    medication.dose_create(
        patient=patient, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=NOW - timedelta(hours=2)
    )
    return patient


def checkin(patient: Any, *, hours_ago: float = 1, **fields: Any) -> Any:
    return services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=NOW - timedelta(hours=hours_ago), **fields
    ).checkin


def own_chart(client: Any, kind: str = "pain") -> Any:
    response = client.get(f"/trends/charts/{kind}.svg?{PERIOD}")
    assert response.status_code == 200, response.status_code
    return response


class TestServedFromTheCache:
    def test_a_second_request_is_not_drawn_again(self, diary: Any, draws: Counter[str]) -> None:
        client = signed_in(diary)

        first, second = own_chart(client), own_chart(client)

        assert draws["pain"] == 1
        assert second.content == first.content
        assert second["Content-Type"] == "image/svg+xml"
        assert "no-store" in second["Cache-Control"], "the browser still keeps nothing"
        assert "default-src 'none'" in second["Content-Security-Policy"]

    def test_the_therapist_gets_the_image_the_patient_had_drawn(
        self, diary: Any, therapist: Any, draws: Counter[str]
    ) -> None:
        mine = own_chart(signed_in(diary))
        theirs = signed_in(therapist).get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}")

        assert theirs.status_code == 200
        assert theirs.content == mine.content
        assert draws["pain"] == 1

    def test_each_chart_and_period_is_kept_apart(self, diary: Any, draws: Counter[str]) -> None:
        client = signed_in(diary)
        own_chart(client, "pain")
        own_chart(client, "tiredness")
        client.get("/trends/charts/pain.svg?start=2026-03-02&end=2026-03-10")
        client.get("/trends/charts/pain.svg?days=7")
        client.get("/trends/charts/pain.svg?start=2026-03-04&end=2026-03-10")  # the same as days=7

        assert draws == {"pain": 3, "tiredness": 1}

    def test_the_weight_chart_is_kept_in_the_unit_of_whoever_reads_it(
        self, diary: Any, therapist: Any, draws: Counter[str]
    ) -> None:
        services.profile_update(user=diary, weight_unit=WeightUnit.LB)
        patients = signed_in(diary)
        therapists = signed_in(therapist)

        in_lb = own_chart(patients, "weight")
        in_kg = therapists.get(f"/patients/{diary.pk}/charts/weight.svg?{PERIOD}")
        own_chart(patients, "weight")
        therapists.get(f"/patients/{diary.pk}/charts/weight.svg?{PERIOD}")

        assert draws["weight"] == 2
        assert b"lb" in in_lb.content and b"lb" not in in_kg.content

    def test_the_key_holds_ids_and_a_digest_only(self, diary: Any) -> None:
        key = chart_cache.chart_key(
            patient=diary,
            state=flags_current_for(diary),
            kind="pain",
            start=date(2026, 3, 1),
            end=date(2026, 3, 10),
            drawing=drawing.VERSION,
        )
        assert re.fullmatch(rf"chart:{diary.pk}:[0-9a-f]{{40}}", key)


# Every write a chart depends on makes the next request draw it anew. Each takes Pat's diary
# (the fixture) and the therapist, and changes it through the services, as the views do.
def _checkin_created(pat: Any, thea: Any) -> None:
    checkin(pat, pain=9, hours_ago=0.5)


def _checkin_changed(pat: Any, thea: Any) -> None:
    services.checkin_update(checkin=pat.checkins.order_by("recorded_at").last(), pain=1)


def _checkin_deleted(pat: Any, thea: Any) -> None:
    services.checkin_delete(checkin=pat.checkins.order_by("recorded_at").last())


def _dose_created(pat: Any, thea: Any) -> None:
    medicine = pat.medicines.get()
    medication.dose_create(patient=pat, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=NOW - timedelta(hours=1))


def _dose_changed(pat: Any, thea: Any) -> None:
    medication.dose_update(dose=pat.doses.get(), relief=Relief.GOOD)


def _dose_deleted(pat: Any, thea: Any) -> None:
    medication.dose_delete(dose=pat.doses.get())


def _medicine_added(pat: Any, thea: Any) -> None:
    medication.medicine_create(patient=pat, name="Ibuprofen", kind=MedicineKind.AS_NEEDED)


def _medicine_renamed(pat: Any, thea: Any) -> None:
    medication.medicine_update(medicine=pat.medicines.get(), name="Paracetamol 500")


def _medicine_stopped(pat: Any, thea: Any) -> None:
    medication.medicine_update(medicine=pat.medicines.get(), active=False)


def _medicine_kind_changed(pat: Any, thea: Any) -> None:
    medication.medicine_update(medicine=pat.medicines.get(), kind=MedicineKind.REGULAR)


def _medicine_deleted(pat: Any, thea: Any) -> None:
    medication.medicine_delete(medicine=pat.medicines.get())  # has a dose: only marked stopped


def _unused_medicine_deleted(pat: Any, thea: Any) -> None:
    medication.medicine_delete(medicine=pat.medicines.get(name="Codeine"))  # no doses: the row goes


def _time_zone_changed(pat: Any, thea: Any) -> None:
    services.profile_update(user=pat, timezone_name="Pacific/Auckland")


def _therapy_start_changed(pat: Any, thea: Any) -> None:
    services.profile_update(user=pat, therapy_started_on=date(2026, 3, 5))


WRITES = [
    _checkin_created,
    _checkin_changed,
    _checkin_deleted,
    _dose_created,
    _dose_changed,
    _dose_deleted,
    _medicine_added,
    _medicine_renamed,
    _medicine_stopped,
    _medicine_kind_changed,
    _medicine_deleted,
    _unused_medicine_deleted,
    _time_zone_changed,
    _therapy_start_changed,
]


KINDS = ("pain", "doses", "weight")  # the key is the same for every chart but weight's unit


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__.strip("_"))
def test_a_write_makes_the_next_request_draw_anew(
    write: Callable[[Any, Any], None],
    diary: Any,
    therapist: Any,
    draws: Counter[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    if write is _unused_medicine_deleted:
        medication.medicine_create(patient=diary, name="Codeine", kind=MedicineKind.AS_NEEDED)
    client = signed_in(diary)
    for _ in range(2):
        for kind in KINDS:
            own_chart(client, kind)
    assert sum(draws.values()) == len(KINDS), "kept"

    # As in a request: what runs once the write's transaction has committed runs too.
    with django_capture_on_commit_callbacks(execute=True):
        write(diary, therapist)
    diary.refresh_from_db()

    after = {kind: own_chart(client, kind).content for kind in KINDS}
    assert sum(draws.values()) == 2 * len(KINDS), "every chart drawn anew"
    clear_cache()
    assert {kind: own_chart(client, kind).content for kind in KINDS} == after, "as a first draw would"


def test_a_medicine_write_draws_anew_only_once_committed(
    diary: Any, draws: Counter[str], django_capture_on_commit_callbacks: Any
) -> None:
    """A chart drawn while the write is not yet committed is kept under the old version, where nobody looks."""
    client = signed_in(diary)
    own_chart(client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        medication.medicine_update(medicine=diary.medicines.get(), name="Paracetamol 500")
    own_chart(client)
    assert draws["pain"] == 1
    for callback in callbacks:
        callback()
    own_chart(client)
    assert draws["pain"] == 2


def test_the_day_turning_draws_anew(diary: Any, draws: Counter[str]) -> None:
    client = signed_in(diary)
    own_chart(client)
    own_chart(client)
    with time_machine.travel(NOW + timedelta(days=1), tick=True):
        own_chart(client)
    assert draws["pain"] == 2


def test_an_acknowledgement_changes_no_chart(diary: Any, therapist: Any, draws: Counter[str]) -> None:
    """The charts mark the days behind a flag, acknowledged or not: an acknowledgement leaves them as they are."""
    checkin(diary, symptoms=["limb_weakness"], hours_ago=0.5)
    client = signed_in(diary)
    kept = own_chart(client).content
    flag_acknowledge(patient=diary, therapist=therapist, code="spinal_cord_compression_signs", note="Seen.")

    assert own_chart(client).content == kept
    assert draws["pain"] == 1
    clear_cache()
    assert own_chart(client).content == kept, "as a first draw would"


class TestTheGatekeeperComesFirst:
    def test_the_other_patient_and_an_unlinked_therapist_still_get_404(
        self, diary: Any, therapist: Any, other_patient: Any, unlinked_therapist: Any, draws: Counter[str]
    ) -> None:
        own_chart(signed_in(diary))
        assert signed_in(therapist).get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}").status_code == 200

        for stranger in (other_patient, unlinked_therapist):
            response = signed_in(stranger).get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}")
            assert response.status_code in (403, 404)
            assert b"<svg" not in response.content
        assert signed_in(unlinked_therapist).get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}").status_code == 404
        # A patient's own URL shows only their own diary, whatever is in the cache.
        assert own_chart(signed_in(other_patient)).content != own_chart(signed_in(diary)).content

    def test_a_chart_from_the_cache_is_audited_like_a_drawn_one(
        self, diary: Any, therapist: Any, unlinked_therapist: Any, draws: Counter[str]
    ) -> None:
        url = f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}"
        signed_in(therapist).get(url)
        signed_in(therapist).get(url)
        signed_in(unlinked_therapist).get(url)

        events = AuditEvent.objects.filter(action="frontend:patient_chart").order_by("pk")
        assert [(e.actor_user_id, e.patient_user_id, e.allowed) for e in events] == [
            (therapist.pk, diary.pk, True),
            (therapist.pk, diary.pk, True),
            (unlinked_therapist.pk, diary.pk, False),
        ]
        assert draws["pain"] == 1

    def test_erasure_leaves_nothing_servable(self, diary: Any, therapist: Any, draws: Counter[str]) -> None:
        patients, therapists = signed_in(diary), signed_in(therapist)
        own_chart(patients)
        assert therapists.get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}").status_code == 200

        services.account_delete(user=diary)

        assert therapists.get(f"/patients/{diary.pk}/charts/pain.svg?{PERIOD}").status_code == 404
        mine = patients.get(f"/trends/charts/pain.svg?{PERIOD}")
        assert mine.status_code == 302 and b"<svg" not in mine.content  # signed out with the account
        assert draws["pain"] == 1


def test_the_sparkline_is_kept_too_and_drawn_anew_after_a_checkin(
    diary: Any, therapist: Any, unlinked_therapist: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = []
    real = drawing.sparkline
    monkeypatch.setattr(drawing, "sparkline", lambda highs: drawn.append(highs) or real(highs))
    client = signed_in(therapist)
    url = f"/patients/{diary.pk}/sparkline.svg"

    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(drawn) == 1
    assert signed_in(unlinked_therapist).get(url).status_code == 404

    checkin(diary, pain=10, hours_ago=0.2)
    assert client.get(url).content != first.content
    assert len(drawn) == 2
    assert drawn[-1][-1] == 10
