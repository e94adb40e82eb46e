"""What a patient agrees to when they share their diary with a therapist, and its version.

The links page shows these words before the patient shares; the care link keeps the version
they agreed to and when. Change the words, change the version: links made before keep the old one.
"""

from __future__ import annotations

VERSION = "2026-11-26"

WHAT_THEY_SEE = (
    "every check-in you have made and will make: pain, where it is, tiredness, sleep, weight, "
    "exercise, warning symptoms and your notes",
    "the flags the diary raises, and the charts and visit summary made from your check-ins",
    "your name, your time zone and the day your therapy started",
)
WHAT_THEY_DO = (
    "They can acknowledge a flag and write notes about your care, which other therapists you share with can read.",
    "They can download your diary to keep in your clinical record.",
    "Every time they open your diary is recorded, and you can see it under “Who has seen my diary”.",
    "You can end sharing at any time; they lose access at once.",
)


def text() -> str:
    """The same words as one plain text, for the API's GET consent (a client shows them before sharing)."""
    seen = "\n".join(f"- {item}" for item in WHAT_THEY_SEE)
    done = "\n".join(f"- {item}" for item in WHAT_THEY_DO)
    return f"When you share your diary with a therapist, they see:\n{seen}\n\n{done}"
