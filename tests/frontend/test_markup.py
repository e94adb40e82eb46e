"""What every page's HTML must hold: the CSP allows no inline code, and the basics of accessibility."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from django.test import RequestFactory
from django.urls import get_resolver
from django.utils import timezone

from diary import services
from tests.conftest import signed_in
from tests.frontend.pages import submit, text


def rendered_pages(patient: Any, therapist: Any) -> dict[str, str]:
    checkin = services.checkin_create(
        patient=patient, client_uuid=uuid4(), recorded_at=timezone.now(), pain=3, notes="x"
    ).checkin
    pat, thea, anonymous = signed_in(patient), signed_in(therapist), signed_in(None)
    return {
        "signup": text(anonymous.get("/signup")),
        "login": text(anonymous.get("/login")),
        "checkin": text(pat.get("/")),
        "checkin with errors": text(submit(pat, "/", {"pain": "11"})),
        "history": text(pat.get("/history")),
        "edit": text(pat.get(f"/checkins/{checkin.pk}/edit")),
        "delete": text(pat.get(f"/checkins/{checkin.pk}/delete")),
        "links": text(pat.get("/links")),
        "settings": text(pat.get("/settings")),
        "therapist home": text(thea.get("/")),
        "patient": text(thea.get(f"/patients/{patient.pk}")),
        "403": text(thea.get("/history")),
        "404": text(pat.get("/checkins/999999/edit")),
    }


def test_it_has_no_inline_script_or_style(patient: Any, therapist: Any) -> None:
    """The CSP (script-src and style-src 'self') would block them, so none may be written."""
    for name, html in rendered_pages(patient, therapist).items():
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), name
        assert not re.search(r"\sstyle=", html), name
        assert not re.search(r"\son[a-z]+=", html), name


def test_it_gives_every_page_a_language_a_skip_link_and_one_main_heading(patient: Any, therapist: Any) -> None:
    for name, html in rendered_pages(patient, therapist).items():
        assert '<html lang="en">' in html, name
        assert '<a class="skip-link" href="#main">' in html, name
        assert '<main id="main"' in html, name
        assert html.count("<h1") == 1, name
        assert 'role="status"' in html, name


def test_it_labels_every_form_control(patient: Any, therapist: Any) -> None:
    """Every visible input, select and textarea has a <label for> or sits inside a label."""
    for name, html in rendered_pages(patient, therapist).items():
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in control:
                continue
            control_id = re.search(r'\bid="([^"]+)"', control)
            assert control_id and control_id.group(1) in labelled, f"{name}: {control}"


def test_it_sends_the_content_security_policy(patient: Any) -> None:
    response = signed_in(patient).get("/")
    assert "script-src 'nonce-" in response["Content-Security-Policy"]
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_it_renders_the_500_page_without_the_database() -> None:
    """No db fixture here: pytest-django fails any query, so this proves the page needs none."""
    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get("/history"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()
