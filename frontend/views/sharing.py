"""Sharing: a patient links their diary to a therapist, ends the link, and sees who has seen it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from diary import audit, consent, selectors, services, throttles
from diary.models import AuditEvent, User
from frontend.access import patient_page
from frontend.forms import (
    TOO_MANY_ATTEMPTS,
    LinkForm,
)
from frontend.views.common import posted


@patient_page
def links(request: HttpRequest) -> HttpResponse:
    patient = request.user
    form = LinkForm(posted(request), initial={"consent_version": consent.VERSION})
    if request.method == "POST" and form.is_valid():
        if not throttles.invite_code_attempt_allowed(request):
            form.add_error(None, TOO_MANY_ATTEMPTS)
            return render(request, "frontend/links.html", _links_context(patient, form), status=429)
        try:
            result = services.link_create(
                patient=patient,
                invite_code=form.cleaned_data["invite_code"],
                consent_version=form.cleaned_data["consent_version"],
            )
        except services.InviteCodeNotFound:
            form.add_error("invite_code", "No therapist has this code. Check it with your therapist and type it again.")
        except services.ConsentOutdated:
            # Keep the code typed; untick the box, so that agreeing again means reading the new words.
            data = request.POST.copy()
            data["consent_version"] = consent.VERSION
            data.pop("consent", None)
            form = LinkForm(data)
            form.is_valid()
            form.add_error(None, "What a therapist sees has changed since you opened this page. Please read it again.")
        else:
            name = result.link.therapist.name
            if result.created:
                messages.success(request, f"You now share your diary with {name}.")
            else:
                messages.info(request, f"You already share your diary with {name}.")
            return redirect("frontend:links")
    return render(request, "frontend/links.html", _links_context(patient, form))


def _links_context(patient: User, form: LinkForm) -> dict[str, Any]:
    return {
        "form": form,
        "links": selectors.active_links(patient),
        "consent_what_they_see": consent.WHAT_THEY_SEE,
        "consent_what_they_do": consent.WHAT_THEY_DO,
    }


ACCESS_EVENTS_PER_PAGE = 100


# Events by one person less than this far apart are one visit.
VISIT_GAP = timedelta(minutes=30)


@patient_page
def access_log(request: HttpRequest) -> HttpResponse:
    """Who has seen my diary: every time someone else opened it or tried to, newest first.

    One line per visit ("Sam looked at your diary on 3 Dec, 14:02–14:09: list, charts, summary"):
    a list view alone records an event per patient row and per pain line, so one line per event
    was noise. Each event, with the address it came from, is under the line's details.
    """
    page = Paginator(audit.events_about(request.user), ACCESS_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    names = audit.names_of(page.object_list)
    return render(request, "frontend/access_log.html", {"page": page, "visits": _visits(page.object_list, names)})


def _visits(events: Iterable[AuditEvent], names: dict[int, str]) -> list[dict[str, Any]]:
    """Newest first, runs of one person's events with no gap of VISIT_GAP; a refusal is a visit of its own."""
    visits: list[dict[str, Any]] = []
    for event in events:
        visit = visits[-1] if visits else None
        if (
            visit is not None
            and (visit["actor_id"], visit["allowed"]) == (event.actor_user_id, event.allowed)
            and visit["start"] - event.at <= VISIT_GAP
        ):
            visit["events"].append(event)
            visit["start"] = event.at
            continue
        visits.append(
            {
                "actor_id": event.actor_user_id,
                "allowed": event.allowed,
                "who": audit.who(event, names) or "Someone not signed in",
                "is_therapist": event.actor_role == "therapist",
                "start": event.at,
                "end": event.at,
                "events": [event],
            }
        )
    for visit in visits:
        # In the order they were done, each part once.
        visit["parts"] = list(dict.fromkeys(audit.visit_part(event) for event in reversed(visit["events"])))
        visit["details"] = [{"event": event, "words": audit.action_words(event)} for event in reversed(visit["events"])]
        visit["only_the_list"] = visit["parts"] == ["list"]
    return visits


@patient_page
def link_end(request: HttpRequest, link_id: int) -> HttpResponse:
    """Ending sharing asks first (a page of its own, so it works without JavaScript), as deleting a check-in does."""
    link = selectors.active_link_for(request.user, link_id)
    if request.method != "POST":
        return render(request, "frontend/link_end.html", {"link": link})
    services.link_end(link=link, by=request.user)
    messages.success(request, f"You stopped sharing your diary with {link.therapist.name}. They can no longer see it.")
    return redirect("frontend:links")
