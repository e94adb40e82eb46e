"""The live OpenAPI 3 contract at /api/v1/schema: every path of API.md, with its error answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from tests.api.test_access import MATRIX

# API.md's paths, with their methods.
API_MD_PATHS = {
    "/api/v1/auth/csrf": {"get"},
    "/api/v1/auth/signup": {"post"},
    "/api/v1/auth/signup/confirm": {"post"},  # API.md 1.1
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/me": {"get", "patch", "delete"},
    "/api/v1/export": {"get"},
    "/api/v1/checkins": {"get", "post"},
    "/api/v1/checkins/{id}": {"get", "patch", "delete"},
    "/api/v1/consent": {"get"},  # API.md 1.1, "Consent when sharing"
    "/api/v1/links": {"get", "post"},
    "/api/v1/links/{id}": {"delete"},
    "/api/v1/patients": {"get"},
    "/api/v1/patients/{id}/checkins": {"get"},
    "/api/v1/patients/{id}/export": {"get"},
    "/api/v1/flags": {"get"},
    "/api/v1/trends": {"get"},
    "/api/v1/patients/{id}/flags": {"get"},
    "/api/v1/patients/{id}/trends": {"get"},
    "/api/v1/patients/{id}/flags/{id}/acknowledge": {"post"},
    "/api/v1/push/key": {"get"},
    "/api/v1/push/subscriptions": {"get", "post"},
    "/api/v1/push/subscriptions/{id}": {"delete"},
    "/api/v1/reminders": {"get", "put"},
    # API.md 1.1, "Medicines and doses"
    "/api/v1/medicines": {"get", "post"},
    "/api/v1/medicines/{id}": {"patch", "delete"},
    "/api/v1/doses": {"get", "post"},
    "/api/v1/doses/{id}": {"get", "patch", "delete"},
    "/api/v1/patients/{id}/medicines": {"get"},
    "/api/v1/patients/{id}/doses": {"get"},
}
# Anyone may call these (signing out when not signed in is harmless); everything else needs a session.
PUBLIC = {
    ("/api/v1/auth/csrf", "get"),
    ("/api/v1/auth/signup", "post"),
    ("/api/v1/auth/signup/confirm", "post"),
    ("/api/v1/auth/login", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/push/key", "get"),
}
# Where the role decides (API.md: a patient gets 403 on therapist paths and the reverse).
ROLE_LIMITED = {
    ("/api/v1/export", "get"),
    ("/api/v1/checkins", "get"),
    ("/api/v1/checkins", "post"),
    ("/api/v1/checkins/{id}", "get"),
    ("/api/v1/checkins/{id}", "patch"),
    ("/api/v1/checkins/{id}", "delete"),
    ("/api/v1/links", "post"),
    ("/api/v1/patients", "get"),
    ("/api/v1/patients/{id}/checkins", "get"),
    ("/api/v1/patients/{id}/export", "get"),
    ("/api/v1/flags", "get"),
    ("/api/v1/trends", "get"),
    ("/api/v1/patients/{id}/flags", "get"),
    ("/api/v1/patients/{id}/trends", "get"),
    ("/api/v1/patients/{id}/flags/{id}/acknowledge", "post"),
    ("/api/v1/push/subscriptions", "get"),
    ("/api/v1/push/subscriptions", "post"),
    ("/api/v1/push/subscriptions/{id}", "delete"),
    ("/api/v1/reminders", "get"),
    ("/api/v1/reminders", "put"),
    ("/api/v1/medicines", "get"),
    ("/api/v1/medicines", "post"),
    ("/api/v1/medicines/{id}", "patch"),
    ("/api/v1/medicines/{id}", "delete"),
    ("/api/v1/doses", "get"),
    ("/api/v1/doses", "post"),
    ("/api/v1/doses/{id}", "get"),
    ("/api/v1/doses/{id}", "patch"),
    ("/api/v1/doses/{id}", "delete"),
    ("/api/v1/patients/{id}/medicines", "get"),
    ("/api/v1/patients/{id}/doses", "get"),
}
UNSAFE = {"post", "put", "patch", "delete"}


def generic(path: str) -> str:
    """/api/v1/checkins/{checkin_id} → /api/v1/checkins/{id}"""
    return re.sub(r"\{\w+\}", "{id}", path)


@pytest.fixture
def schema(db: Any, api: Any) -> dict[str, Any]:
    response = api(None).client.get("/api/v1/schema", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    data: dict[str, Any] = json.loads(response.content)
    return data


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (generic(path), method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_it_serves_openapi_3_as_yaml_by_default(db: Any, api: Any) -> None:
    """Without an Accept header the schema is OpenAPI 3 YAML, and it needs no sign-in."""
    response = api(None).client.get("/api/v1/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    data = yaml.safe_load(response.content)
    assert data["openapi"].startswith("3.")
    assert data["info"]["version"] == "1.0.0"


def test_it_serves_openapi_3_as_json_on_request(schema: dict[str, Any]) -> None:
    """Accept: application/vnd.oai.openapi+json gives the same document as JSON."""
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]


def test_it_lists_every_path_of_api_md(schema: dict[str, Any]) -> None:
    """Each path and method of API.md is documented, once, without a trailing slash twin."""
    documented: dict[str, set[str]] = {}
    for path, item in schema["paths"].items():
        assert not path.endswith("/"), f"{path}: only the slashless form is documented"
        documented.setdefault(generic(path), set()).update(
            method for method in item if method in {"get", "post", "put", "patch", "delete"}
        )
    assert documented == API_MD_PATHS


def test_it_documents_what_the_access_matrix_tests(schema: dict[str, Any]) -> None:
    """The documented operations are the ones the access matrix covers (the schema route itself aside)."""
    tested = {
        (generic("/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", case.route)), case.method.lower())
        for case in MATRIX
        if case.route != "schema"
    }
    assert set(operations(schema)) == tested


def test_it_documents_the_error_answers(schema: dict[str, Any]) -> None:
    """401 where a session is needed, 403 where the role decides or CSRF applies, 404 on ids, 400 on bodies.

    Each error answer says in words when it happens.
    """
    for (path, method), operation in operations(schema).items():
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}: {sorted(codes)}"
        assert any(code.startswith("2") for code in codes), where
        if (path, method) not in PUBLIC:
            assert "401" in codes, where
            assert operation.get("security"), where
        if (path, method) in ROLE_LIMITED or method in UNSAFE:
            assert "403" in codes, where
        if "{id}" in path:
            assert "404" in codes, where
        if operation.get("requestBody"):
            assert {"400", "413", "415"} <= codes, where
        for code, response in operation["responses"].items():
            if code >= "400":
                assert response.get("description"), f"{where} {code} has no description"


def test_it_documents_the_checkin_answers_of_api_md(schema: dict[str, Any]) -> None:
    """POST checkins: 201 stored, 200 replayed, 400 bad input, 401, 403, 409 used by another patient, 413, 415."""
    operation = operations(schema)[("/api/v1/checkins", "post")]
    assert {"200", "201", "400", "401", "403", "409", "413", "415"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    request = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {"client_uuid", "recorded_at"} <= set(request["required"])
    assert {"pain", "fatigue", "symptoms", "weight_kg", "sleep_hours", "notes"} <= set(request["properties"])
    assert request["properties"]["pain"]["maximum"] == 10
    assert "patient" not in request["properties"]


def test_it_documents_throttling_on_sign_in_and_linking(schema: dict[str, Any]) -> None:
    """The throttled operations say they can answer 429."""
    ops = operations(schema)
    for key in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/links", "post"),
        ("/api/v1/push/subscriptions", "post"),
    ]:
        assert "429" in ops[key]["responses"], key


def test_it_documents_session_cookie_auth(schema: dict[str, Any]) -> None:
    """The security scheme is the session cookie the API really uses."""
    assert schema["components"]["securitySchemes"]["cookieAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }


def test_it_generates_a_valid_schema_without_warnings(db: Any, tmp_path: Path) -> None:
    """manage.py spectacular --validate --fail-on-warn passes: every view and serializer is understood."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    data = yaml.safe_load(target.read_text())
    assert {generic(path) for path in data["paths"]} == set(API_MD_PATHS)
