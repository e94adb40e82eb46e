"""Fixtures for the page tests only."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # The access matrix builds five people for each page; what is tested here is who
    # may see what, not the hash, so use the fastest hasher Django ships.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
