"""Web Push, the parts that exist before anything is sent: the server's VAPID key and which
push-service addresses a subscription may name.

A browser's subscription is an address the server will later POST to. Taken from a client as
is, it would let anyone make the server send requests to any host, its own network included.
So an endpoint must be an https URL on one of the browsers' own push services
(PUSH_SERVICE_HOSTS, API.md 1.1), plus a local stand-in on 127.0.0.1 or localhost in development.

The VAPID key (RFC 8292) signs every message; its public half is what the page hands to
pushManager.subscribe(), so the push service accepts messages only from this server.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode

logger = logging.getLogger(__name__)

ENDPOINT_REFUSED = (
    "This is not the address of a browser's push service. Reminders can only be sent through "
    "the push service of the phone's own browser."
)
NO_KEY = "Reminders on this phone are not available: the server has no VAPID key (VAPID_PRIVATE_KEY)."


# --- endpoints -------------------------------------------------------------


def _host_allowed(host: str, patterns: list[str]) -> bool:
    """An exact host, or under a "*.example.com" pattern (a subdomain, never the bare domain)."""
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def check_endpoint(endpoint: str) -> None:
    """Raise ValidationError unless the endpoint is a push service the server may post to.

    Allowed: https on the default port, a host in PUSH_SERVICE_HOSTS, no user name or password
    in the URL. With DEBUG on, also http to 127.0.0.1 or localhost on any port (a stand-in).
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise ValidationError(ENDPOINT_REFUSED) from None
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        raise ValidationError(ENDPOINT_REFUSED)
    if settings.DEBUG and parts.scheme == "http" and host in ("127.0.0.1", "localhost"):
        return
    if parts.scheme != "https" or port not in (None, 443):
        raise ValidationError(ENDPOINT_REFUSED)
    if not _host_allowed(host, settings.PUSH_SERVICE_HOSTS):
        raise ValidationError(ENDPOINT_REFUSED)


# --- the server's VAPID key ---------------------------------------------------


class NoVapidKey(Exception):
    """There is no VAPID key: VAPID_PRIVATE_KEY is unset and DEBUG is off."""


def _parse_key(text: str) -> Vapid02:
    """A private key as PEM text or as base64url (the raw 32-byte number, or DER)."""
    text = text.strip().replace("\\n", "\n")
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            return Vapid02(key)
        vapid: Vapid02 = Vapid02.from_string(text)
        return vapid
    except Exception as error:
        # cryptography and py_vapid raise a variety of errors for a bad key; all mean the same.
        raise ImproperlyConfigured(
            "VAPID_PRIVATE_KEY is neither a PEM private key nor a base64url P-256 private key"
        ) from error


def _development_key(path: Path) -> Vapid02:
    """The laptop's own key: read from a git-ignored file, made on first use (DEBUG only)."""
    if path.exists():
        return _parse_key(path.read_text())
    vapid = Vapid02()
    vapid.generate_keys()
    pem = vapid.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Readable by this user only; O_EXCL so that two processes starting at once never swap keys.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _parse_key(path.read_text())
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    logger.info("Made a development VAPID key in %s", path)
    return vapid


@cache
def _key(configured: str, debug: bool, dev_key_file: str) -> Vapid02:
    if configured:
        return _parse_key(configured)
    if debug:
        return _development_key(Path(dev_key_file))
    raise NoVapidKey(NO_KEY)


def vapid_key() -> Vapid02:
    """The server's VAPID key pair. Raises NoVapidKey, or ImproperlyConfigured for a bad key."""
    return _key(settings.VAPID_PRIVATE_KEY, settings.DEBUG, str(settings.VAPID_DEV_KEY_FILE))


def public_key() -> str:
    """The application server key for pushManager.subscribe(): the uncompressed P-256 point, base64url."""
    point = vapid_key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    encoded: str = b64urlencode(point)
    return encoded


def key_problem() -> str | None:
    """Why push cannot work on this server, in words, or None when it can."""
    try:
        vapid_key()
    except (NoVapidKey, ImproperlyConfigured) as error:
        return str(error)
    return None


# --- system checks -------------------------------------------------------------


@checks.register(checks.Tags.security, deploy=True)
def check_vapid_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --deploy` says when reminders on phones cannot work for want of a key."""
    if settings.VAPID_PRIVATE_KEY or settings.DEBUG:
        return []
    return [
        checks.Warning(
            "VAPID_PRIVATE_KEY is not set: push/key answers 503 and no phone can subscribe to reminders.",
            hint="Make a key (e.g. `vapid --gen`, or see README.md) and set VAPID_PRIVATE_KEY to the PEM text "
            "or the base64url private key.",
            id="diary.W101",
        )
    ]


@checks.register(checks.Tags.security)
def check_vapid_key_readable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A key that is set but cannot be read is a typo to fix, not a missing feature."""
    if not settings.VAPID_PRIVATE_KEY:
        return []
    try:
        _parse_key(settings.VAPID_PRIVATE_KEY)
    except ImproperlyConfigured as error:
        return [checks.Warning(str(error), hint="push/key answers 503 until it is fixed.", id="diary.W102")]
    return []
