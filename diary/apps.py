from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = "Diary"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module registers its deploy checks (diary.E001, ...).
        # Sign-ins and sign-outs go in the access audit. Django's auth announces them with these
        # signals whichever page or API view did it; there is no other single place that sees all.
        from django.contrib.auth import signals

        from diary import (
            audit,
            checks,  # noqa: F401
            push,  # noqa: F401  (importing it registers the VAPID key's system checks)
            sessions,
        )

        signals.user_logged_in.connect(audit.on_login, dispatch_uid="audit-login")
        signals.user_logged_out.connect(audit.on_logout, dispatch_uid="audit-logout")
        signals.user_login_failed.connect(audit.on_login_failed, dispatch_uid="audit-login-failed")
        # Each session's clocks (idle timeout, lifetime) start at sign-in, and it is listed for its owner.
        signals.user_logged_in.connect(sessions.on_login, dispatch_uid="session-login")
