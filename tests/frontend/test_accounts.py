"""Signing up, in and out through the pages, with CSRF enforced as in a browser."""

from __future__ import annotations

from typing import Any

from django.test import Client

from diary.models import Role, User
from tests.conftest import PASSWORD, signed_in
from tests.frontend.pages import hidden_inputs, status_messages, submit, text


def test_it_signs_up_a_patient_and_signs_them_in(db: Any, settings: Any) -> None:
    """The whole sign-up: the clinic's zone is offered first (chosen by nobody but the person), and
    afterwards the person is a signed-in patient."""
    settings.CLINIC_TIMEZONE = "Europe/Dublin"
    client = signed_in(None)
    page = client.get("/signup")
    assert page.status_code == 200
    assert '<option value="" selected>Choose your time zone</option>' in text(page)
    assert '<optgroup label="Common time zones">\n  <option value="Europe/Dublin">' in text(page)

    response = client.post(
        "/signup",
        {
            **hidden_inputs(page),
            "email": "New.Person@Example.com",
            "password": PASSWORD,
            "display_name": "Nia",
            "timezone": "Europe/Dublin",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get()
    assert (user.email, user.role, user.timezone, user.display_name) == (
        "new.person@example.com",
        Role.PATIENT,
        "Europe/Dublin",
        "Nia",
    )
    home = client.get("/")
    assert home.wsgi_request.user == user
    assert "How are you right now?" in text(home)
    assert "Your diary is ready" in status_messages(home)


def test_it_keeps_what_was_typed_when_signup_is_refused(patient: Any) -> None:
    """The service's errors (email taken, weak password) appear next to the fields; the email stays filled in."""
    client = signed_in(None)
    response = submit(
        client, "/signup", {"email": "pat@example.com", "password": "password", "timezone": "Europe/London"}
    )

    assert response.status_code == 200
    content = text(response)
    assert "An account with this email already exists" in content
    assert 'value="pat@example.com"' in content
    assert 'aria-invalid="true"' in content
    assert 'class="error-summary"' in content
    assert User.objects.count() == 1


def test_it_refuses_an_unknown_time_zone(db: Any) -> None:
    client = signed_in(None)
    response = submit(client, "/signup", {"email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Base"})
    assert response.status_code == 200
    assert "Choose a time zone from the list" in text(response)
    assert not User.objects.exists()


def test_it_signs_in_with_any_capitalisation_of_the_email(patient: Any) -> None:
    client = signed_in(None)
    response = submit(client, "/login", {"username": " PAT@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").wsgi_request.user == patient


def test_it_says_the_same_thing_for_an_unknown_email_and_a_wrong_password(patient: Any) -> None:
    wrong_password = submit(signed_in(None), "/login", {"username": "pat@example.com", "password": "not it at all"})
    no_such_email = submit(signed_in(None), "/login", {"username": "nobody@example.com", "password": PASSWORD})

    message = "That email and password do not match an account."
    assert wrong_password.status_code == no_such_email.status_code == 200
    assert message in text(wrong_password)
    assert message in text(no_such_email)


def test_it_signs_out_only_by_post(patient: Any) -> None:
    client = signed_in(patient)
    assert client.get("/logout").status_code == 405

    response = submit(client, "/logout", form_page="/")

    assert response.status_code == 302
    assert response["Location"] == "/login"
    login_page = client.get("/login")
    assert not login_page.wsgi_request.user.is_authenticated
    assert "You have signed out." in status_messages(login_page)


def test_it_refuses_a_post_without_the_csrf_token(patient: Any) -> None:
    client = signed_in(patient)
    response = client.post("/", {"pain": "5"})
    assert response.status_code == 403
    assert not patient.checkins.exists()


def test_it_sends_anonymous_visitors_to_sign_in(db: Any) -> None:
    response = Client().get("/history")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/history"


def test_it_shares_the_apis_sign_in_lockout(patient: Any) -> None:
    """The sign-in page counts attempts with the API's "login" rate (10 a minute), so it is no way around it."""
    client = signed_in(None)
    token = hidden_inputs(client.get("/login"))["csrfmiddlewaretoken"]
    # A different account each time: one account locks sooner (test_lockout.py); this is the per-address rate.
    for n in range(10):
        wrong = client.post(
            "/login", {"csrfmiddlewaretoken": token, "username": f"guess{n}@example.com", "password": "no"}
        )
        assert wrong.status_code == 200

    refused = client.post("/login", {"csrfmiddlewaretoken": token, "username": "pat@example.com", "password": PASSWORD})

    assert refused.status_code == 429
    assert "Too many attempts from here." in text(refused)
    assert not client.get("/login").wsgi_request.user.is_authenticated
