"""Therapists' invite codes: made, read back as people type them, and shown in groups.

Their own module so that the models (a superuser therapist needs a code) and the services can both
use them without importing each other.
"""

from __future__ import annotations

import secrets

# Crockford's base32 without the look-alikes I, L, O and U: easy to read aloud
# and type on a phone. Ten characters is 50 bits, far beyond guessing at the
# throttled rate of the link endpoint.
INVITE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INVITE_LENGTH = 10

CONFUSABLES = str.maketrans("OIL", "011")


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalize_invite_code(raw: str) -> str:
    """What a person types ("abcd-efgh-jk", "ABCD EFGH JK") → the stored form."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    # People read O for 0 and I/L for 1 off a card; accept both.
    return cleaned.translate(CONFUSABLES)


def format_invite_code(code: str) -> str:
    """Show a code in groups, "ABCDE-FGHJK", which is easier to read aloud."""
    return f"{code[:5]}-{code[5:]}"
