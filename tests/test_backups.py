"""Backup and restore (diary/backups.py, manage.py backup / restore): what comes back is what went in.

On PostgreSQL: seed a clinic, back it up with pg_dump, restore it into a fresh database with
pg_restore, and compare every table's row count and a checksum of its contents. On SQLite:
the same round trip through a database file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from diary import backups, selectors, services
from diary.flags import flag_acknowledge, flags_for
from tests.conftest import PASSWORD

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: pg_dump and pg_restore (set DATABASE_URL)"
)


def seed_clinic() -> None:
    """A therapist, two linked patients with a week of check-ins, an acknowledged flag and a note."""
    therapist = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea")
    for n, zone in enumerate(["Europe/London", "Pacific/Auckland"]):
        patient = services.patient_signup(email=f"p{n}@example.com", password=PASSWORD, timezone_name=zone)
        services.link_create(patient=patient, invite_code=therapist.invite_code)
        for hours in range(0, 7 * 24, 9):
            services.checkin_create(
                patient=patient,
                client_uuid=uuid4(),
                recorded_at=timezone.now() - timedelta(hours=hours),
                pain=(hours // 9) % 11,
                symptoms=["night_sweats"] if hours % 4 == 0 else [],
                notes=f"note {hours} ‘quoted’ – ünïcode",
            )
        for flag in flags_for(patient)["flags"][:1]:
            flag_acknowledge(patient=patient, therapist=therapist, code=flag["code"], note="Seen")
        services.therapist_note_create(
            patient=patient, therapist=therapist, written_on=selectors.today_for(patient), text="Discussed at visit"
        )


def fingerprint(dsn: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and an MD5 of its rows in a fixed order."""
    with psycopg.connect(dsn) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            ).fetchone()  # type: ignore[misc]
            result[table] = (count, digest)
    return result


def dsn_of(database: dict[str, Any], name: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        dbname=name or database["NAME"],
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
    )


@pytest.fixture
def fresh_database() -> Iterator[dict[str, Any]]:
    """An empty PostgreSQL database beside the test database, dropped afterwards."""
    database = dict(connection.settings_dict)
    name = f"{database['NAME']}_restored"
    with psycopg.connect(dsn_of(database, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield {**database, "NAME": name}
    with psycopg.connect(dsn_of(database, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@needs_postgres
@pytest.mark.django_db(transaction=True)  # pg_dump reads from its own connection: the rows must be committed
def test_a_postgresql_backup_restores_every_row_of_every_table(tmp_path: Path, fresh_database: dict[str, Any]) -> None:
    seed_clinic()
    source = dict(connection.settings_dict)
    dump = tmp_path / "diary.dump"

    call_command("backup", output=dump)  # as `make backup` does
    backups.restore(fresh_database, dump)  # what `make restore` does, into the fresh database

    before, after = fingerprint(dsn_of(source)), fingerprint(dsn_of(fresh_database))
    assert after == before
    assert before["diary_checkin"][0] == 2 * 19
    assert before["diary_therapistnote"][0] == 2
    seeded = ["diary_user", "diary_carelink", "diary_checkin", "diary_flagstate", "diary_therapistnote"]
    assert all(before[table][0] > 0 for table in seeded)
    assert len(before) > 10  # Django's own tables too: sessions, migrations, content types...


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_restoring_replaces_what_is_there(tmp_path: Path, fresh_database: dict[str, Any]) -> None:
    seed_clinic()
    dump = backups.backup(connection.settings_dict, tmp_path / "diary.dump")
    backups.restore(fresh_database, dump)
    with psycopg.connect(dsn_of(fresh_database)) as conn:
        conn.execute("DELETE FROM diary_therapistnote")
        conn.execute("UPDATE diary_checkin SET notes = 'changed'")

    backups.restore(fresh_database, dump)

    assert fingerprint(dsn_of(fresh_database)) == fingerprint(dsn_of(connection.settings_dict))


def test_a_sqlite_backup_is_a_consistent_copy_that_restores(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(live)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as the app runs it: recent writes may sit in the WAL file
        conn.execute("CREATE TABLE checkin (id INTEGER PRIMARY KEY, pain INTEGER, notes TEXT)")
        conn.executemany("INSERT INTO checkin (pain, notes) VALUES (?, ?)", [(n % 11, f"note {n}") for n in range(500)])
        conn.commit()
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(live)}

        copy = backups.backup(database, tmp_path / "backup" / "diary.sqlite3")
        conn.execute("DELETE FROM checkin WHERE id > 10")
        conn.commit()
        backups.restore(database, copy)

        assert conn.execute("SELECT count(*), sum(pain) FROM checkin").fetchone() == (
            500,
            sum(n % 11 for n in range(500)),
        )


def test_it_refuses_what_it_cannot_back_up(tmp_path: Path) -> None:
    with pytest.raises(backups.UnsupportedDatabase):
        backups.backup({"ENGINE": "django.db.backends.mysql", "NAME": "x"}, tmp_path / "x")
    with pytest.raises(backups.UnsupportedDatabase):
        backups.backup({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, tmp_path / "x")
    with pytest.raises(FileNotFoundError):
        backups.restore({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db")}, tmp_path / "missing")
