"""Fixtures for the API tests only."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # PBKDF2 at Django's default strength costs ~0.25 s a person; the access matrix
    # builds five people for each of its cases. What is tested here is who may do
    # what, not the hash, so use the fastest hasher Django ships.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
