"""Sharing: a patient links their diary to a therapist, ends the link, and sees who has seen it."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from diary import audit, consent, selectors, services, throttles
from diary.models import User
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


@patient_page
def access_log(request: HttpRequest) -> HttpResponse:
    """Who has seen my diary: every time someone else opened it or tried to, newest first.

    Runs of the same thing by the same person on the same day are one line ("looked at your
    charts, 7 times, 14:02 to 14:03").
    """
    page = Paginator(audit.events_about(request.user), ACCESS_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    names = audit.names_of(page.object_list)
    lines = []
    for (_, day, words, name), events in groupby(
        page.object_list,
        key=lambda e: (e.actor_user_id, timezone.localdate(e.at), audit.action_words(e), audit.who(e, names)),
    ):
        run = list(events)
        lines.append({"day": day, "who": name or "Someone not signed in", "words": words, "events": run})
    return render(request, "frontend/access_log.html", {"page": page, "lines": lines})


@patient_page
def link_end(request: HttpRequest, link_id: int) -> HttpResponse:
    """Ending sharing asks first (a page of its own, so it works without JavaScript), as deleting a check-in does."""
    link = selectors.active_link_for(request.user, link_id)
    if request.method != "POST":
        return render(request, "frontend/link_end.html", {"link": link})
    services.link_end(link=link, by=request.user)
    messages.success(request, f"You stopped sharing your diary with {link.therapist.name}. They can no longer see it.")
    return redirect("frontend:links")
