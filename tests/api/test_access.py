"""Who may call what: every API route × every kind of caller → one expected status.

The table below is the access contract of API.md written out in full. It is
checked against the URL configuration, so a new route (or a new method on an
old one) fails ``test_it_covers_every_api_route_and_method`` until someone
decides, here, who may call it.

Each case also reads the whole answer: Pat's and Olive's private notes and
every other person's email address may appear only where the table says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from diary import consent
from diary.models import (
    AuditEvent,
    CareLink,
    CheckIn,
    Dose,
    FlagAcknowledgement,
    FlagState,
    Medicine,
    PushSubscription,
    ReminderSettings,
    User,
)
from tests.api.test_medicines import dose_body
from tests.api.test_reminders import reminders_body, subscription_body
from tests.conftest import PASSWORD, Api, checkin_body

PAT_NOTE = "pat-secret-note-7"
OLIVE_NOTE = "olive-secret-note-3"
# Pat's check-in reports blood in urine, so this urgent flag is active: something to acknowledge.
ACTIVE_FLAG = "blood_in_stool_or_urine"

# The callers. Pat and Olive are patients; Thea is linked to both; Uma is linked to
# nobody; Ed was linked to Pat until the link ended. See tests/conftest.py.
PAT, OLIVE, THEA, UMA, ED, ANON = "pat", "olive", "thea", "uma", "ed", "anonymous"
CALLERS = (PAT, OLIVE, THEA, UMA, ED, ANON)


def statuses(pat: int, olive: int, thea: int, uma: int, ed: int, anonymous: int) -> dict[str, int]:
    return {PAT: pat, OLIVE: olive, THEA: thea, UMA: uma, ED: ed, ANON: anonymous}


@dataclass
class World:
    """The five people, one private check-in each for Pat and Olive, and Pat's link to Thea.

    Pat's check-in reports blood in urine, so Pat has an urgent flag (ACTIVE_FLAG) to acknowledge.
    """

    people: dict[str, User | None]
    pat_checkin: CheckIn
    olive_checkin: CheckIn
    pat_thea_link: CareLink
    pat_subscription: PushSubscription
    pat_medicine: Medicine
    pat_dose: Dose

    def url(self, route: str) -> str:
        """A route of the URLconf with its parameters filled in with Pat's objects."""
        values = {
            "checkin_id": self.pat_checkin.pk,
            "link_id": self.pat_thea_link.pk,
            "patient_id": self.people[PAT].pk,  # type: ignore[union-attr]
            "code": ACTIVE_FLAG,
            "subscription_id": self.pat_subscription.pk,
            "medicine_id": self.pat_medicine.pk,
            "dose_id": self.pat_dose.pk,
        }
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), route)


@dataclass(frozen=True)
class Case:
    """One method on one route, what each caller gets, and who may see which private note."""

    route: str
    method: str
    expect: dict[str, int]
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    sees_pat_note: frozenset[str] = frozenset()
    sees_olive_note: frozenset[str] = frozenset()
    # Signing in makes the anonymous caller somebody: whose email may the answer carry?
    anonymous_becomes: str = ANON

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def own_login(world: World, caller: str) -> dict[str, str]:
    person = world.people[caller] or world.people[PAT]
    return {"email": person.email, "password": PASSWORD}  # type: ignore[union-attr]


MATRIX = [
    Case("auth/csrf", "GET", statuses(200, 200, 200, 200, 200, 200)),
    Case(
        "auth/signup",
        "POST",
        statuses(201, 201, 201, 201, 201, 201),
        body=lambda world, caller: {
            "email": f"new-{caller}@example.com",
            "password": "a long new passphrase",
            "timezone": "Europe/London",
        },
    ),
    # A token that is no emailed link's: refused alike for everyone (API.md 1.1; tests/security/test_probe_auth.py).
    Case("auth/signup/confirm", "POST", statuses(400, 400, 400, 400, 400, 400), body={"token": "MQ.not-a-token"}),
    Case("auth/login", "POST", statuses(200, 200, 200, 200, 200, 200), body=own_login, anonymous_becomes=PAT),
    Case("auth/logout", "POST", statuses(204, 204, 204, 204, 204, 204)),
    Case("me", "GET", statuses(200, 200, 200, 200, 200, 401)),
    Case("me", "PATCH", statuses(200, 200, 200, 200, 200, 401), body={"display_name": "Renamed"}),
    Case("me", "DELETE", statuses(204, 204, 204, 204, 204, 401), body={"password": PASSWORD}),
    Case(
        "export",
        "GET",
        statuses(200, 200, 403, 403, 403, 401),
        query={"format": "json"},
        sees_pat_note=frozenset({PAT}),
        sees_olive_note=frozenset({OLIVE}),
    ),
    Case(
        "checkins",
        "GET",
        statuses(200, 200, 403, 403, 403, 401),
        sees_pat_note=frozenset({PAT}),
        sees_olive_note=frozenset({OLIVE}),
    ),
    Case("checkins", "POST", statuses(201, 201, 403, 403, 403, 401), body=lambda world, caller: checkin_body()),
    Case(
        "checkins/<int:checkin_id>",
        "GET",
        statuses(200, 404, 403, 403, 403, 401),
        sees_pat_note=frozenset({PAT}),
    ),
    Case(
        "checkins/<int:checkin_id>",
        "PATCH",
        statuses(200, 404, 403, 403, 403, 401),
        body={"pain": 6},
        sees_pat_note=frozenset({PAT}),
    ),
    Case("checkins/<int:checkin_id>", "DELETE", statuses(204, 404, 403, 403, 403, 401)),
    Case("consent", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case("links", "GET", statuses(200, 200, 200, 200, 200, 401)),
    Case(
        "links",
        "POST",
        statuses(201, 201, 403, 403, 403, 401),
        body=lambda world, caller: {"invite_code": world.people[UMA].invite_code, "consent_version": consent.VERSION},
    ),
    Case("links/<int:link_id>", "DELETE", statuses(204, 404, 204, 404, 404, 401)),
    Case("patients", "GET", statuses(403, 403, 200, 200, 200, 401)),
    Case(
        "patients/<int:patient_id>/checkins",
        "GET",
        statuses(403, 403, 200, 404, 404, 401),
        sees_pat_note=frozenset({THEA}),
    ),
    Case(
        "patients/<int:patient_id>/export",
        "GET",
        statuses(403, 403, 200, 404, 404, 401),
        query={"format": "json"},
        sees_pat_note=frozenset({THEA}),
    ),
    Case("flags", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case("trends", "GET", statuses(200, 200, 403, 403, 403, 401), query={"days": "7"}),
    Case("patients/<int:patient_id>/flags", "GET", statuses(403, 403, 200, 404, 404, 401)),
    Case("patients/<int:patient_id>/trends", "GET", statuses(403, 403, 200, 404, 404, 401), query={"days": "7"}),
    Case(
        "patients/<int:patient_id>/flags/<str:code>/acknowledge",
        "POST",
        statuses(403, 403, 200, 404, 404, 401),
        body={"note": "Called her; GP appointment booked."},
    ),
    # Reminders (API.md 1.1): the key is public; the rest is each patient's own.
    Case("push/key", "GET", statuses(200, 200, 200, 200, 200, 200)),
    Case("push/subscriptions", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case(
        "push/subscriptions",
        "POST",
        statuses(201, 201, 403, 403, 403, 401),
        body=lambda world, caller: subscription_body(f"https://fcm.googleapis.com/fcm/send/{caller}"),
    ),
    Case("push/subscriptions/<int:subscription_id>", "DELETE", statuses(204, 404, 403, 403, 403, 401)),
    Case("reminders", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case("reminders", "PUT", statuses(200, 200, 403, 403, 403, 401), body=reminders_body()),
    # Medicines and doses (API.md 1.1): each patient's own; a linked therapist reads them.
    Case("medicines", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case(
        "medicines",
        "POST",
        statuses(201, 201, 403, 403, 403, 401),
        body={"name": "paracetamol", "strength": "1 g", "kind": "regular"},
    ),
    Case("medicines/<int:medicine_id>", "PATCH", statuses(200, 404, 403, 403, 403, 401), body={"name": "Oxynorm"}),
    Case("medicines/<int:medicine_id>", "DELETE", statuses(204, 404, 403, 403, 403, 401)),
    Case("doses", "GET", statuses(200, 200, 403, 403, 403, 401)),
    Case(
        "doses",
        "POST",
        # Olive may not log a dose of Pat's medicine: 400, as for a medicine that does not exist.
        statuses(201, 400, 403, 403, 403, 401),
        body=lambda world, caller: dose_body(world.pat_medicine.pk),
    ),
    Case("doses/<int:dose_id>", "GET", statuses(200, 404, 403, 403, 403, 401)),
    Case("doses/<int:dose_id>", "PATCH", statuses(200, 404, 403, 403, 403, 401), body={"relief": "some"}),
    Case("doses/<int:dose_id>", "DELETE", statuses(204, 404, 403, 403, 403, 401)),
    Case("patients/<int:patient_id>/medicines", "GET", statuses(403, 403, 200, 404, 404, 401)),
    Case("patients/<int:patient_id>/doses", "GET", statuses(403, 403, 200, 404, 404, 401)),
    Case("schema", "GET", statuses(200, 200, 200, 200, 200, 200)),
]

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def url_routes() -> list[tuple[str, str, set[str]]]:
    """Every route of the whole URLconf: (full route, innermost namespace, HTTP methods its view has)."""
    routes: list[tuple[str, str, set[str]]] = []

    def walk(patterns: list[Any], base: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, base + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
                methods = {method.upper() for method in HTTP_METHODS if hasattr(view, method)}
                routes.append((base + str(pattern.pattern), namespace, methods))

    walk(get_resolver().url_patterns, "", "")
    return routes


def api_routes() -> dict[str, set[str]]:
    """Every route under the ``api`` namespace, as written in diary/api/urls.py → its HTTP methods."""
    prefix, _ = get_resolver().namespace_dict["api"]
    assert prefix == "api/v1/"
    return {route.removeprefix(prefix): methods for route, namespace, methods in url_routes() if namespace == "api"}


@pytest.fixture
def world(patient: Any, other_patient: Any, therapist: Any, unlinked_therapist: Any, ended_therapist: Any) -> World:
    pat_checkin = CheckIn.objects.get(
        pk=Api(patient).post("checkins", checkin_body(notes=PAT_NOTE, symptoms=["blood_in_urine"])).json()["id"]
    )
    olive_checkin = CheckIn.objects.get(
        pk=Api(other_patient).post("checkins", checkin_body(notes=OLIVE_NOTE)).json()["id"]
    )
    pat_medicine = Medicine.objects.get(
        pk=Api(patient).post("medicines", {"name": "oxycodone", "strength": "5 mg", "kind": "as_needed"}).json()["id"]
    )
    return World(
        people={
            PAT: patient,
            OLIVE: other_patient,
            THEA: therapist,
            UMA: unlinked_therapist,
            ED: ended_therapist,
            ANON: None,
        },
        pat_checkin=pat_checkin,
        olive_checkin=olive_checkin,
        pat_thea_link=CareLink.objects.get(patient=patient, therapist=therapist, ended_at__isnull=True),
        pat_subscription=PushSubscription.objects.get(
            pk=Api(patient).post("push/subscriptions", subscription_body()).json()["id"]
        ),
        pat_medicine=pat_medicine,
        pat_dose=Dose.objects.get(pk=Api(patient).post("doses", dose_body(pat_medicine.pk)).json()["id"]),
    )


def database_state() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        sorted(User.objects.values_list("id", "email", "display_name", "timezone")),
        sorted(CheckIn.objects.values_list("id", "patient_id", "client_uuid", "pain", "fatigue", "notes")),
        sorted(CareLink.objects.values_list("id", "patient_id", "therapist_id", "ended_at")),
        sorted(FlagState.objects.values_list("patient_id", "as_of", "computed_at")),
        sorted(FlagAcknowledgement.objects.values_list("id", "patient_id", "code", "therapist_id", "note")),
        sorted(PushSubscription.objects.values_list("id", "patient_id", "endpoint", "p256dh", "auth")),
        sorted(ReminderSettings.objects.values_list("patient_id", "times", "enabled", "missed_nudge", "push", "email")),
        sorted(Medicine.objects.values_list("id", "patient_id", "name", "strength", "kind", "active")),
        sorted(Dose.objects.values_list("id", "patient_id", "medicine_id", "client_uuid", "relief")),
    )


def test_it_covers_every_api_route_and_method() -> None:
    """The matrix names exactly the routes and methods the URLconf serves: no route can slip out of it."""
    routes = api_routes()
    slashless = {route: methods for route, methods in routes.items() if not route.endswith("/")}
    covered: dict[str, set[str]] = {}
    for case in MATRIX:
        covered.setdefault(case.route, set()).add(case.method)
    assert slashless == covered
    for case in MATRIX:
        assert set(case.expect) == set(CALLERS), case.id
    # A route added under /api/ outside the namespace would escape the matrix: there are none.
    strays = [route for route, namespace, _ in url_routes() if route.startswith("api/") and namespace != "api"]
    assert strays == []


def test_it_serves_every_api_route_with_and_without_a_trailing_slash() -> None:
    """API.md: both /api/v1/checkins and /api/v1/checkins/ work, for every route."""
    routes = api_routes()
    for route, methods in list(routes.items()):
        twin = route[:-1] if route.endswith("/") else route + "/"
        assert routes.get(twin) == methods, f"{route} has no twin {twin}"


@pytest.mark.parametrize("slash", ["", "/"], ids=["no-slash", "slash"])
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_it_answers_each_caller_as_the_matrix_says(world: World, case: Case, caller: str, slash: str) -> None:
    """Each caller gets the status of the matrix, and no answer carries another person's private data."""
    client = Api(world.people[caller])
    path = world.url(case.route) + slash
    body = case.body(world, caller) if callable(case.body) else case.body
    before = database_state()

    response = client.get(path, **case.query) if case.method == "GET" else client.send(case.method, path, body)

    assert response.status_code == case.expect[caller], response.content
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Session")
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert before == database_state(), "a refused request changed the database"
    if response.status_code in (401, 403, 404):
        caller_id = world.people[caller].pk if world.people[caller] is not None else None  # type: ignore[union-attr]
        action = response.wsgi_request.resolver_match.view_name
        refusals = AuditEvent.objects.filter(action=action, allowed=False, actor_user_id=caller_id)
        assert refusals.filter(status=response.status_code).exists(), "a refusal is missing from the access audit"

    text = response.content.decode()
    assert (PAT_NOTE in text) == (caller in case.sees_pat_note)
    assert (OLIVE_NOTE in text) == (caller in case.sees_olive_note)
    viewer = case.anonymous_becomes if caller == ANON else caller
    for other, person in world.people.items():
        if person is not None and other != viewer:
            assert person.email not in text, f"{caller} was shown {other}'s email"


def test_it_hides_another_patients_checkin_exactly_like_a_missing_one(world: World) -> None:
    """Olive asking for Pat's check-in gets the very answer of an id that does not exist."""
    olive = Api(world.people[OLIVE])
    missing = CheckIn.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for method in ("GET", "PATCH", "DELETE"):
        body = None if method == "GET" else {"pain": 1}
        theirs = olive.send(method, f"checkins/{world.pat_checkin.pk}", body)
        nothing = olive.send(method, f"checkins/{missing}", body)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
    assert CheckIn.objects.get(pk=world.pat_checkin.pk).pain == world.pat_checkin.pain


def test_it_hides_an_unlinked_patient_exactly_like_a_missing_one(world: World) -> None:
    """Uma asking for Pat's diary gets the very answer of a patient id that does not exist."""
    uma = Api(world.people[UMA])
    missing = User.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    theirs = uma.get(f"patients/{world.people[PAT].pk}/checkins")  # type: ignore[union-attr]
    nothing = uma.get(f"patients/{missing}/checkins")
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.json() == nothing.json()


@pytest.mark.parametrize("route", ["flags", "trends", f"flags/{ACTIVE_FLAG}/acknowledge"])
def test_it_hides_an_unlinked_patients_flags_exactly_like_a_missing_patient(world: World, route: str) -> None:
    """Uma and Ed asking for Pat's flags or trends, or acknowledging one, get the answer of a missing patient id."""
    missing = User.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for caller in (UMA, ED):
        client = Api(world.people[caller])
        method = "POST" if route.endswith("acknowledge") else "GET"
        body = {"note": "seen"} if method == "POST" else None
        theirs = client.send(method, f"patients/{world.people[PAT].pk}/{route}", body)  # type: ignore[union-attr]
        nothing = client.send(method, f"patients/{missing}/{route}", body)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
    assert not FlagAcknowledgement.objects.exists()


@pytest.mark.parametrize("code", ["no_such_flag", "night_sweats", "spinal_cord_compression_signs"])
def test_it_answers_404_to_acknowledging_a_flag_that_is_not_active(world: World, code: str) -> None:
    """Thea may acknowledge only a flag Pat has now: an unknown code, or a known one not active, is 404."""
    thea = Api(world.people[THEA])
    response = thea.post(f"patients/{world.people[PAT].pk}/flags/{code}/acknowledge", {"note": "seen"})  # type: ignore[union-attr]
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert not FlagAcknowledgement.objects.exists()


def test_it_does_not_let_a_therapist_read_a_therapist_as_a_patient(world: World) -> None:
    """Thea asking for another therapist's (Uma's) diary gets 404: therapists are nobody's patients."""
    response = Api(world.people[THEA]).get(f"patients/{world.people[UMA].pk}/checkins")  # type: ignore[union-attr]
    assert response.status_code == 404


def test_it_answers_an_unknown_api_path_with_json_404(world: World, settings: Any) -> None:
    """An API client gets JSON, not an HTML page, for a path that does not exist."""
    settings.DEBUG = False
    response = Api(world.people[PAT]).get("no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
