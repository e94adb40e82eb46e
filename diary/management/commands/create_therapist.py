"""manage.py create_therapist EMAIL [--name NAME] [--password-stdin]"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary import services
from diary.invite_codes import format_invite_code


class Command(BaseCommand):
    help = "Create a therapist account. Patients link to it with the invite code this prints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="The name patients will see, e.g. 'Sam Rivera, PT'.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/London.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input (one line)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            therapist = services.therapist_create(
                email=options["email"],
                password=password,
                display_name=options["name"],
                timezone_name=options["timezone"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        code = format_invite_code(therapist.invite_code or "")
        self.stdout.write(self.style.SUCCESS(f"Created therapist {therapist.email}. Invite code: {code}"))
