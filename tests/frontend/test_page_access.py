"""Who may open which page: every page of the `frontend` namespace × every kind of visitor.

The pages are read from the URL configuration, not listed by hand, so a new page
fails here until someone decides, in ACCESS below, who may open it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from django.urls import URLPattern, get_resolver, resolve, reverse
from django.utils import timezone

from diary import medication, selectors, services
from diary.models import AuditEvent, CareLink
from tests.conftest import signed_in

PAT, OLIVE, THEA, UMA, ED, ANONYMOUS = "pat", "olive", "thea", "uma", "ed", "anonymous"
VISITORS = (PAT, OLIVE, THEA, UMA, ED, ANONYMOUS)
# Pat owns the diary; Olive is another patient; Thea is Pat's therapist; Uma is a
# therapist nobody linked to; Ed was Pat's therapist until Pat ended the link.

LOGIN = "to sign-in"  # a redirect to /login?next=...
HOME = "to home"  # a redirect to / (a signed-in person has no use for sign-up or sign-in)
SET_UP = "302 /two-step"  # two-step sign-in is set up already: on to the step itself
NOTE = "pat-secret-note-7"

# GET status for each page and visitor. Patient pages answer 403 to therapists and
# therapist pages 403 to patients; someone else's object is 404, never a hint it exists.
ACCESS: dict[str, dict[str, int | str]] = {
    "home": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: LOGIN},
    "signup": {PAT: HOME, OLIVE: HOME, THEA: HOME, UMA: HOME, ED: HOME, ANONYMOUS: 200},
    "login": {PAT: HOME, OLIVE: HOME, THEA: HOME, UMA: HOME, ED: HOME, ANONYMOUS: 200},
    # Sign-up by emailed link (SIGNUP_VERIFY_EMAIL): for anyone; the link's token moves into the session.
    "signup_sent": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    "signup_confirm": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    "signup_confirm_link": {
        PAT: "302 /signup/confirm",
        OLIVE: "302 /signup/confirm",
        THEA: "302 /signup/confirm",
        UMA: "302 /signup/confirm",
        ED: "302 /signup/confirm",
        ANONYMOUS: "302 /signup/confirm",
    },
    # Signing out is POST only (Django's LogoutView), for everyone.
    "logout": {PAT: 405, OLIVE: 405, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: 405},
    "settings": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: LOGIN},
    "history": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "checkin_edit": {PAT: 200, OLIVE: 404, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "checkin_delete": {PAT: 200, OLIVE: 404, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # Therapists get 403 on the sharing page: they have no diary to share.
    "links": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # GET asks "End sharing with Thea?"; the POST ends it. Olive's is a 404 (test_links.py).
    "link_end": {PAT: 200, OLIVE: 404, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "patient_detail": {PAT: 403, OLIVE: 403, THEA: 200, UMA: 404, ED: 404, ANONYMOUS: LOGIN},
    # What to do now, after a check-in that raised an emergency or urgent flag: patients only.
    "alert": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # POST only; the role is checked first (test_therapist.py posts to it).
    "flag_acknowledge": {PAT: 403, OLIVE: 403, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: LOGIN},
    # POST only; the role is checked first. Posts from therapists not linked to Pat are 404 (test_notes.py).
    "note_create": {PAT: 403, OLIVE: 403, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: LOGIN},
    # GET asks "Delete your note?" of its author; therapists not linked to Pat get 404.
    "note_delete": {PAT: 403, OLIVE: 403, THEA: 200, UMA: 404, ED: 404, ANONYMOUS: LOGIN},
    # Trends: the patient's own charts and summary, and the same for a linked therapist.
    "my_trends": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "my_chart": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "my_summary": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "patient_chart": {PAT: 403, OLIVE: 403, THEA: 200, UMA: 404, ED: 404, ANONYMOUS: LOGIN},
    "patient_sparkline": {PAT: 403, OLIVE: 403, THEA: 200, UMA: 404, ED: 404, ANONYMOUS: LOGIN},
    "patient_summary": {PAT: 403, OLIVE: 403, THEA: 200, UMA: 404, ED: 404, ANONYMOUS: LOGIN},
    # Who has seen my diary: a patient's own access record.
    "access_log": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # Passwords: changing needs a session; a reset is for anyone (the link's token is the key).
    "password_change": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: LOGIN},
    "password_reset": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    "password_reset_sent": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    "password_reset_confirm": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    "password_reset_done": {PAT: 200, OLIVE: 200, THEA: 200, UMA: 200, ED: 200, ANONYMOUS: 200},
    # POST only, patients only: the travel prompt's "Use Paris time" on the check-in page (test_timezones.py).
    "timezone_switch": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # POST only, patients only: the settings page's reminders form (test_reminders.py).
    "reminders_update": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # POST only, patients only: "Send me a test reminder" (test_reminders_sending.py).
    "reminder_test": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # POST only: "sign out everywhere else" (test_sessions.py).
    "sessions_end": {PAT: 405, OLIVE: 405, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: LOGIN},
    # POST only, therapists only: a new invite code (test_links.py).
    "invite_code_rotate": {PAT: 403, OLIVE: 403, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: LOGIN},
    # Two-step sign-in (test_mfa.py): therapists only. These therapists have passed it already, so the
    # step sends them on, and setting up again sends them to the step.
    "second_step": {PAT: 403, OLIVE: 403, THEA: HOME, UMA: HOME, ED: HOME, ANONYMOUS: LOGIN},
    "second_step_setup": {PAT: 403, OLIVE: 403, THEA: SET_UP, UMA: SET_UP, ED: SET_UP, ANONYMOUS: LOGIN},
    "recovery_codes_renew": {PAT: 403, OLIVE: 403, THEA: 405, UMA: 405, ED: 405, ANONYMOUS: LOGIN},
    # A patient's own medicine list (settings); therapists keep none. Rename and stop are POST only
    # (Olive's POSTs to Pat's medicine are 404: test_medicines_pages.py).
    "medicines": {PAT: 200, OLIVE: 200, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "medicine_rename": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "medicine_active": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    # POST only, patients only: "I took a pain reliever" and "Did it help?" on the check-in page (Olive's
    # POST to Pat's dose is 404: test_medicines_pages.py).
    "dose_log": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
    "dose_relief": {PAT: 405, OLIVE: 405, THEA: 403, UMA: 403, ED: 403, ANONYMOUS: LOGIN},
}
REFUSALS = {403, 404, LOGIN}

# Where Pat's note may appear: her own pages that show it, and her linked therapist's view.
SHOWS_NOTE = {("history", PAT), ("checkin_edit", PAT), ("checkin_delete", PAT), ("patient_detail", THEA)}
# Where Thea's note about Pat may appear: only on the care team's view, never on Pat's own pages.
THERAPIST_NOTE = "thea-note-about-pat-3"
SHOWS_THERAPIST_NOTE = {("patient_detail", THEA), ("note_delete", THEA)}


def frontend_pages() -> dict[str, URLPattern]:
    """Every named URL pattern in the `frontend` namespace, from the live URL configuration."""
    _prefix, resolver = get_resolver().namespace_dict["frontend"]
    pages: dict[str, URLPattern] = {}
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern), f"{pattern} includes more URLs; list them here"
        assert pattern.name, f"{pattern} has no name, so this matrix cannot list it"
        pages[pattern.name] = pattern
    return pages


def refusal_recorded(visitor: Any, url: str) -> bool:
    """The access audit has a refusal of this page for this visitor (anonymous: nobody named).

    The audit keeps the URL's name, not its path (issue 12, finding 7).
    """
    events = AuditEvent.objects.filter(action=resolve(urlsplit(url).path).view_name, allowed=False)
    return events.filter(actor_user_id=visitor.pk if visitor is not None else None).exists()


def test_it_lists_every_frontend_page_in_the_matrix() -> None:
    assert set(frontend_pages()) == set(ACCESS)


@pytest.fixture
def people(patient: Any, other_patient: Any, therapist: Any, unlinked_therapist: Any, ended_therapist: Any) -> Any:
    return {PAT: patient, OLIVE: other_patient, THEA: therapist, UMA: unlinked_therapist, ED: ended_therapist}


@pytest.mark.parametrize("name", sorted(frontend_pages()))
def test_it_answers_each_visitor_as_the_matrix_says(name: str, people: Any) -> None:
    pat = people[PAT]
    checkin = services.checkin_create(
        patient=pat, client_uuid=uuid4(), recorded_at=timezone.now(), pain=6, notes=NOTE
    ).checkin
    note = services.therapist_note_create(
        patient=pat, therapist=people[THEA], written_on=selectors.today_for(pat), text=THERAPIST_NOTE
    )
    medicine = medication.medicine_create(patient=pat, name="Oxycodone", kind="as_needed")
    ids = {
        "checkin_id": checkin.pk,
        "patient_id": pat.pk,
        "link_id": CareLink.objects.get(patient=pat, therapist=people[THEA], ended_at__isnull=True).pk,
        "code": "night_pain",
        "note_id": note.pk,
        "medicine_id": medicine.pk,
        "dose_id": medication.dose_create(
            patient=pat, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=timezone.now()
        ).dose.pk,
        "kind": "pain",
        # A link that is not (or no longer) valid: the page says so.
        "uidb64": "MQ",
        "token": "set-password",
    }
    pattern = frontend_pages()[name]
    unknown = set(pattern.pattern.converters) - set(ids)
    assert not unknown, f"no test id for {unknown} in {name}: add one to ids"
    url = reverse(f"frontend:{name}", kwargs={key: ids[key] for key in pattern.pattern.converters})

    wrong = []
    for visitor in VISITORS:
        response = signed_in(people.get(visitor)).get(url)
        expected = ACCESS[name][visitor]
        got: int | str = response.status_code
        if got == 302:
            location = response["Location"]
            got = LOGIN if location.startswith("/login?next=") else HOME if location == "/" else f"302 {location}"
        if got != expected:
            wrong.append(f"{visitor}: expected {expected}, got {got}")
        if got in REFUSALS and not refusal_recorded(people.get(visitor), url):
            wrong.append(f"{visitor}: refused but not in the access audit")
        shows_note = NOTE in response.content.decode()
        if shows_note != ((name, visitor) in SHOWS_NOTE):
            wrong.append(f"{visitor}: note {'shown' if shows_note else 'missing'}")
        shows_therapist_note = THERAPIST_NOTE in response.content.decode()
        if shows_therapist_note != ((name, visitor) in SHOWS_THERAPIST_NOTE):
            wrong.append(f"{visitor}: therapist's note {'shown' if shows_therapist_note else 'missing'}")
    assert not wrong, f"{url}: " + "; ".join(wrong)
