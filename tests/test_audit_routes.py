"""The audit cannot miss a route: every route that shows a patient's data is recorded, in words.

Built from the live URL configuration, like the access matrices, so a new route that names a patient
fails here until the audit has words for it. Slash twins (API.md: every API path answers with and
without a trailing slash) are checked as routes of their own.

Pat keeps a diary; Thea is her therapist.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from diary import audit
from diary.models import AuditEvent
from tests.conftest import signed_in


def routes() -> list[tuple[str, str]]:
    """(full route, view name) for every pattern of the URL configuration."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], base: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, base + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
                found.append((base + str(pattern.pattern), name))

    walk(get_resolver().url_patterns, "", "")
    return found


def patient_routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name in routes() if "<int:patient_id>" in route]


def test_a_patient_in_a_url_is_always_called_patient_id() -> None:
    """The middleware finds the patient by that parameter's name; any other spelling would go unrecorded."""
    for route, _name in routes():
        for parameter in re.findall(r"<(?:\w+:)?(\w+)>", route):
            assert "patient" not in parameter or parameter == "patient_id", route


def test_every_route_has_a_name_so_its_audit_rows_do_too() -> None:
    """An unnamed route would be recorded under its view's dotted path, and read as "opened your diary"."""
    unnamed = [route for route, name in routes() if not name and not route.startswith(("admin/", "static"))]
    assert unnamed == []


@pytest.mark.parametrize(("route", "name"), patient_routes(), ids=[route for route, _ in patient_routes()])
def test_every_route_that_names_a_patient_has_words_for_the_patient(route: str, name: str) -> None:
    assert name in audit.ACTION_WORDS, f"{route} ({name}) has no words in diary/audit.py ACTION_WORDS"


@pytest.mark.parametrize(("route", "name"), patient_routes(), ids=[route for route, _ in patient_routes()])
def test_every_route_that_names_a_patient_writes_a_row(patient: Any, therapist: Any, route: str, name: str) -> None:
    """Whatever the answer (shown, refused, wrong method), a request about Pat leaves a row naming her."""
    url = "/" + route.replace("<int:patient_id>", str(patient.pk))
    url = re.sub(r"<int:\w+>", "999999", url)  # another id: a note that may not exist
    url = re.sub(r"<(?:\w+:)?\w+>", "x", url)  # other parameters: a flag's code, a chart's name
    signed_in(therapist).get(url)
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk, actor_user_id=therapist.pk)
    assert list(rows.values_list("action", flat=True)) == [name]


@pytest.mark.parametrize("slash", ["", "/"])
def test_a_patients_own_export_is_recorded_with_or_without_the_slash(patient: Any, api: Any, slash: str) -> None:
    assert api(patient).get(f"export{slash}", format="json").status_code == 200
    rows = AuditEvent.objects.filter(patient_user_id=patient.pk, actor_user_id=patient.pk, action="api:export")
    assert rows.count() == 1
