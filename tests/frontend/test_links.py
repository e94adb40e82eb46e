"""A patient shares their diary by a therapist's invite code, and ends sharing."""

from __future__ import annotations

from typing import Any

from diary import consent, invite_codes, services
from diary.models import CareLink
from tests.conftest import signed_in
from tests.frontend.pages import hidden_inputs, status_messages, submit, text

# The consent box ticked; the version of its wording comes from the page's hidden field.
SHARE = {"consent": "on", "consent_version": consent.VERSION}


def test_it_links_by_invite_code_typed_loosely(patient: Any, unlinked_therapist: Any) -> None:
    """Lower case and a dash, as people copy a code off a card, still find the therapist."""
    code = unlinked_therapist.invite_code
    typed = f"{code[:5]}-{code[5:]}".lower()
    client = signed_in(patient)

    response = submit(client, "/links", {"invite_code": typed, "consent": "on"})

    assert response.status_code == 302
    assert response["Location"] == "/links"
    link = CareLink.objects.get(patient=patient, therapist=unlinked_therapist)
    assert link.is_active
    page = client.get("/links")
    assert "You now share your diary with Uma Unlinked." in status_messages(page)
    assert "Uma Unlinked" in text(page)


def test_it_says_so_when_already_linked(patient: Any, therapist: Any) -> None:
    response = submit(
        signed_in(patient), "/links", {"invite_code": therapist.invite_code, "consent": "on"}, form_page="/links"
    )
    assert response.status_code == 302
    assert CareLink.objects.filter(patient=patient, therapist=therapist).count() == 1


def test_it_explains_an_unknown_code(patient: Any) -> None:
    response = submit(signed_in(patient), "/links", {"invite_code": "ZZZZZ-ZZZZZ", "consent": "on"})
    assert response.status_code == 200
    content = text(response)
    assert "No therapist has this code." in content
    assert 'value="ZZZZZ-ZZZZZ"' in content
    assert not CareLink.objects.filter(patient=patient).exists()


def test_it_ends_a_link_and_the_therapist_loses_access(patient: Any, therapist: Any) -> None:
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    client = signed_in(patient)
    page = client.get("/links")
    assert "loses access to your diary at once" in text(page)
    # Opening the question ends nothing (tests/frontend/test_newcomer_patient.py).
    assert client.get(f"/links/{link.pk}/end").status_code == 200

    response = client.post(f"/links/{link.pk}/end", hidden_inputs(page))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    assert link.ended_by == patient
    assert "Thea Therapist" not in text(client.get("/links")).split("Shared with", 1)[1]
    assert signed_in(therapist).get(f"/patients/{patient.pk}").status_code == 404


def test_it_hides_another_patients_link(patient: Any, other_patient: Any, therapist: Any) -> None:
    link = CareLink.objects.get(patient=patient, therapist=therapist)
    client = signed_in(other_patient)
    response = client.post(f"/links/{link.pk}/end", hidden_inputs(client.get("/links")))
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.is_active


def test_it_keeps_therapists_off_the_sharing_page(therapist: Any) -> None:
    """A therapist has nothing to share: the sharing page answers 403 rather than a form that cannot work."""
    response = signed_in(therapist).get("/links")
    assert response.status_code == 403
    assert "This page is not for your account" in text(response)


def test_it_does_not_link_to_a_rotated_code(patient: Any, unlinked_therapist: Any) -> None:
    old = unlinked_therapist.invite_code
    services.invite_code_rotate(therapist=unlinked_therapist)
    response = submit(signed_in(patient), "/links", {"invite_code": old, "consent": "on"})
    assert "No therapist has this code." in text(response)


def test_a_therapist_makes_a_new_code_from_their_page_and_links_stay(patient: Any, therapist: Any) -> None:
    """Thea's button: a new code on her page, the old one refused, Pat still linked."""
    old = therapist.invite_code
    client = signed_in(therapist)
    response = submit(client, "/settings/invite-code", form_page="/")
    assert response["Location"] == "/"
    therapist.refresh_from_db()
    assert therapist.invite_code != old
    assert invite_codes.format_invite_code(therapist.invite_code) in text(client.get("/"))
    assert CareLink.objects.filter(patient=patient, therapist=therapist, ended_at__isnull=True).exists()
    refused = submit(signed_in(patient), "/links", {"invite_code": old, "consent": "on"})
    assert "No therapist has this code." in text(refused)


def test_it_limits_guessing_invite_codes(patient: Any, unlinked_therapist: Any) -> None:
    """The API's "link" rate (20 an hour) covers the page too; after it, even a right code waits."""
    client = signed_in(patient)
    token = hidden_inputs(client.get("/links"))["csrfmiddlewaretoken"]
    for n in range(20):
        client.post("/links", {**SHARE, "csrfmiddlewaretoken": token, "invite_code": f"GUESS{n:05d}"})

    refused = client.post(
        "/links", {**SHARE, "csrfmiddlewaretoken": token, "invite_code": unlinked_therapist.invite_code}
    )

    assert refused.status_code == 429
    assert "Too many attempts from here." in text(refused)
    assert not CareLink.objects.filter(patient=patient, therapist=unlinked_therapist).exists()


def test_sharing_shows_what_the_therapist_will_see_and_records_the_consent(
    patient: Any, unlinked_therapist: Any
) -> None:
    client = signed_in(patient)
    page = text(client.get("/links"))
    assert "What your therapist will see" in page
    assert consent.WHAT_THEY_SEE[0] in page

    submit(client, "/links", {"invite_code": unlinked_therapist.invite_code, "consent": "on"})

    link = CareLink.objects.get(patient=patient, therapist=unlinked_therapist)
    assert link.consent_version == consent.VERSION
    assert link.consented_at is not None


def test_sharing_without_agreeing_shares_nothing_and_keeps_the_code(patient: Any, unlinked_therapist: Any) -> None:
    response = submit(signed_in(patient), "/links", {"invite_code": unlinked_therapist.invite_code})

    assert response.status_code == 200
    assert "Tick the box to agree to what your therapist will see" in text(response)
    assert unlinked_therapist.invite_code in text(response)
    assert not CareLink.objects.filter(patient=patient, therapist=unlinked_therapist).exists()


def test_agreeing_to_old_wording_asks_to_read_it_again(patient: Any, unlinked_therapist: Any) -> None:
    client = signed_in(patient)
    page = client.get("/links")
    form = {**hidden_inputs(page), "invite_code": unlinked_therapist.invite_code, "consent": "on"}

    response = client.post("/links", {**form, "consent_version": "2020-01-01"})

    assert "What a therapist sees has changed since you opened this page" in text(response)
    assert f'name="consent_version" value="{consent.VERSION}"' in text(response)
    assert not CareLink.objects.filter(patient=patient, therapist=unlinked_therapist).exists()
