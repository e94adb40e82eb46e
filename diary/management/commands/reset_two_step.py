"""manage.py reset_two_step EMAIL: forget a therapist's (or staff account's) authenticator app and recovery codes.

For a therapist who lost their phone and their recovery codes, once the clinic has checked who
they are. At their next sign-in they set up an app again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary import mfa
from diary.models import AuditEvent, Role, User


class Command(BaseCommand):
    help = "Forget a therapist's two-step sign-in devices; they set it up again at their next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        # Everyone the second step holds (therapists and clinic staff, diary.mfa.required_for).
        therapist = User.objects.filter(email__iexact=email.strip(), role__in=[Role.THERAPIST, Role.STAFF]).first()
        if therapist is None:
            raise CommandError(f"No therapist or staff account has the email {email}.")
        mfa.reset(therapist)
        # Not a request, so written here: who was reset, by the command line.
        AuditEvent.objects.create(
            actor_user_id=None,
            actor_role="manage.py",
            action="auth:second_step_reset",
            patient_user_id=None,
            allowed=True,
            object_id=therapist.pk,
        )
        self.stdout.write(f"Two-step sign-in reset for {therapist.email}; they set it up again at their next sign-in.")
