"""Helpers to use the pages as a browser would: GET the form, then POST it back with its hidden fields."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.test import Client


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.values.setdefault(found["name"] or "", found.get("value") or "")


def hidden_inputs(response: Any) -> dict[str, str]:
    """The hidden fields of a rendered page: the CSRF token, and a check-in's client_uuid."""
    parser = _HiddenInputs()
    parser.feed(response.content.decode())
    return parser.values


def submit(client: Client, url: str, data: dict[str, Any] | None = None, *, form_page: str | None = None) -> Any:
    """GET the page that holds the form (``url`` unless ``form_page``), then POST ``data`` with its hidden fields."""
    page = client.get(form_page or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, {**hidden_inputs(page), **(data or {})})


def text(response: Any) -> str:
    return response.content.decode()


def status_messages(response: Any) -> str:
    """The text of the page's role="status" region (the confirmation after a save)."""
    content = text(response)
    start = content.index('role="status"')
    return content[start : content.index("</div>", start)]


def input_value(response: Any, name: str) -> str:
    """The value a text-like input shows, as a browser would send it back unchanged."""
    match = re.search(rf'<input type="[\w-]+" name="{re.escape(name)}" value="([^"]*)"', text(response))
    assert match, f"no {name} input with a value"
    return match.group(1)
