"""Cross-site scripting, in a real browser: text people type is shown as text on every page that
shows it, and the Content Security Policy stops inline script even if markup got through.

Pat's notes, Thea's note about her and Thea's acknowledgement carry each attack; a script that
runs sets `window.__xss`. Pages are visited as the person who can see each.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.utils import timezone
from playwright.sync_api import Page

from diary import selectors, services
from diary.flags import flag_acknowledge, flags_for
from tests.browser.support import make_patient, session_cookie
from tests.conftest import PASSWORD

ATTACKS = (
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "<a href=\"javascript:window.__xss = 'link'\">click me</a>",
    "<svg onload=\"window.__xss = 'svg'\"></svg>",
    "{{ request.user.password }}{% now 'Y' %}",
)
NOTE = " ".join(ATTACKS)


def world() -> dict[str, Any]:
    pat = make_patient()
    thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    services.link_create(patient=pat, invite_code=thea.invite_code)
    # Pain 8 with a warning symptom: the note is "notable" and shows on the visit summary too.
    services.checkin_create(
        patient=pat,
        client_uuid=uuid4(),
        recorded_at=timezone.now() - timedelta(hours=1),
        pain=8,
        symptoms=["blood_in_urine"],
        notes=NOTE,
    )
    services.therapist_note_create(patient=pat, therapist=thea, written_on=selectors.today_for(pat), text=NOTE)
    flag = flags_for(pat)["flags"][0]
    flag_acknowledge(patient=pat, therapist=thea, code=flag["code"], note=NOTE[:1000])
    return {"patient": pat, "therapist": thea}


def visit(page: Page, base: str, user: Any, paths: list[str]) -> None:
    page.context.add_cookies([session_cookie(user, base)])
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None, f"{path}: a script ran"
        body = page.inner_text("main")
        for attack in ATTACKS:
            assert attack in body, f"{path}: {attack!r} is not shown as typed"
        # Nothing the note carried became an element.
        injected = "main script, main svg[onload], main img[onerror], main a[href^='javascript:']"
        assert page.locator(injected).count() == 0


def test_notes_show_as_text_on_every_page_that_shows_them(page: Page, live_server: Any) -> None:
    people = world()
    pat = people["patient"]
    checkin = selectors.checkins_of(pat).first()
    assert checkin is not None

    visit(page, live_server.url, pat, ["/history", "/summary"])
    page.goto(f"{live_server.url}/checkins/{checkin.pk}/edit")
    assert page.input_value("textarea[name=notes]") == NOTE  # in the form, exactly as typed

    page.context.clear_cookies()
    visit(page, live_server.url, people["therapist"], [f"/patients/{pat.pk}", f"/patients/{pat.pk}/summary"])


def test_the_policy_stops_inline_script_that_got_into_a_page(page: Page, live_server: Any) -> None:
    pat = make_patient()
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(f"{live_server.url}/history")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None

    # As if a bug let markup through: an inline script, an event handler and a javascript: URL.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__xss = 'inline'";
            document.body.append(script);
            const img = document.createElement("img");
            img.setAttribute("onerror", "window.__xss = 'handler'");
            img.src = "/nowhere.png";
            document.body.append(img);
            const link = document.createElement("a");
            link.href = "javascript:window.__xss = 'url'";
            document.body.append(link);
            link.click();
        }"""
    )
    page.wait_for_timeout(500)

    assert page.evaluate("window.__xss") is None
    assert any("Content Security Policy" in text for text in violations), violations
    # The page's own scripts did run: they carry the nonce.
    header = page.request.get(f"{live_server.url}/history").headers["content-security-policy"]
    assert "'nonce-" in header
    assert "unsafe-inline" not in header
