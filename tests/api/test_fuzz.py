"""Schemathesis against the API's own schema (/api/v1/schema), in process, signed in as a patient and as a
therapist: no 5xx, every response as the schema says (status, content type, body), and data that breaks
the schema refused.

Each operation gets MAX_EXAMPLES valid and invalid requests for each caller; the last test checks the
run added up to at least MIN_CASES. The CLI does the same against a running server:
`schemathesis run http://127.0.0.1:8000/api/v1/schema` (README).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tests.conftest import Api, examples

MAX_EXAMPLES = examples(25)
MIN_CASES = 1000
# Signing out would leave every later case of the run signed out.
SKIPPED = {("POST", "/api/v1/auth/logout")}
CASES: dict[str, int] = {}
EXCLUDED_CHECKS = [
    # Every case carries the caller's real session (see with_security_parameters below).
    schemathesis.checks.ignored_auth,
    # Rules that span fields or rows are beyond what a schema can say: "until" before "since", a
    # password that is too common, a client_uuid already used by someone else. The API answers
    # them 400 or 409 with a message; test_checkins.py and test_accounts.py test each one.
    schemathesis.checks.positive_data_acceptance,
]

# Schemathesis calls Django's WSGI handler itself, which closes the database connection around each
# request as a server does; so each test commits as it goes, not inside one rolled-back transaction.
pytestmark = pytest.mark.django_db(transaction=True)


# Loaded when the module is collected (pytest-django has set Django up by then); the schema view
# reads no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())
# The session cookie is the test's own (each caller's), not generated: no cases without it or with a
# made-up one, and so no check that such a case is refused (test_access.py covers every route signed out).
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    with_security_parameters=False,
)


@pytest.fixture(autouse=True)
def _no_throttles(settings: Any) -> None:
    # Throttles would turn most of a run's sign-ins and sign-ups into 429s: valid, but they test nothing.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "10000/min")}


def session_of(user: Any) -> dict[str, Any]:
    """A signed-in session's cookies and CSRF header."""
    api = Api(user)
    token = api._token()
    return {
        "cookies": {name: morsel.value for name, morsel in api.client.cookies.items()},
        "headers": {"X-CSRFToken": token},
    }


def call(case: Any, session: dict[str, Any]) -> None:
    if (case.method, case.path) in SKIPPED:
        return
    CASES[case.operation.label] = CASES.get(case.operation.label, 0) + 1
    case.call_and_validate(headers=session["headers"], cookies=session["cookies"], excluded_checks=EXCLUDED_CHECKS)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_answers_the_patient_as_its_schema_says(case: Any, patient: Any, therapist: Any) -> None:
    call(case, session_of(patient))


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_answers_the_therapist_as_its_schema_says(case: Any, patient: Any, therapist: Any) -> None:
    call(case, session_of(therapist))


def test_the_run_tried_at_least_a_thousand_cases() -> None:
    if not CASES:
        pytest.skip("run with the schemathesis tests above (the whole module)")
    print(f"schemathesis: {sum(CASES.values())} cases over {len(CASES)} operations")
    assert sum(CASES.values()) >= MIN_CASES, CASES
