"""Deploy checks (`manage.py check --deploy`): settings that would be unsafe in a real clinic.

Registered from DiaryConfig.ready(). tests/test_settings.py runs `check --deploy` with the
production variables and expects no message at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

# Backends that keep mail on the server instead of delivering it: the console one prints
# password-reset links into the server's log, where anyone who reads logs could use them.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@checks.register(checks.Tags.security, deploy=True)
def email_backend_delivers(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Error diary.E001: with DEBUG off, mail must leave the server (password resets carry a way in)."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in UNDELIVERED_EMAIL_BACKENDS:
        return []
    return [
        checks.Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which does not deliver mail: password-reset links "
            "would be written to the server's log or lost.",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST, EMAIL_PORT, "
            "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD (README: Configuration).",
            id="diary.E001",
        )
    ]


@checks.register(checks.Tags.caches, deploy=True)
def cache_is_shared(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warning diary.W001: a per-process cache gives each worker its own throttle counts."""
    if settings.DEBUG or settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache":
        return []
    return [
        checks.Warning(
            "No CACHE_URL: each app process keeps its own cache, so with several processes or servers every "
            "rate limit (sign-in, sign-up, invite codes) is that many times looser.",
            hint="Set CACHE_URL=redis://host:6379/0 (README: Configuration).",
            id="diary.W001",
        )
    ]
