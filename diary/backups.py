"""Backups of the whole database, and restoring one: pg_dump and pg_restore on PostgreSQL, a
consistent copy through SQLite's own backup API on SQLite.

`manage.py backup` and `manage.py restore` (and `make backup`, `make restore`) call these.
A backup holds every diary in the clinic: keep it where the database itself may be kept,
encrypted at rest, and delete it when its retention ends (SECURITY.md).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

Database = Mapping[str, Any]  # an entry of settings.DATABASES


class UnsupportedDatabase(Exception):
    pass


def _kind(database: Database) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise UnsupportedDatabase(f"No backup for {engine}: only PostgreSQL and SQLite.")


def _postgres(database: Database) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client programs; the password goes in the environment."""
    arguments = ["--dbname", str(database["NAME"])]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            arguments += [option, str(database[key])]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    return arguments, environment


def _sqlite_path(database: Database) -> str:
    name = str(database["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise UnsupportedDatabase("An in-memory SQLite database has no file to back up.")
    return name


def _sqlite_copy(source: str, target: str) -> None:
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only (0600), before anything is written to it.

    The folders it needs are made 0700. Created first, rather than chmod-ed after, so that no
    moment exists in which another user could open the file; pg_dump and SQLite keep the mode
    of a file that exists.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)  # the file may have existed with a wider mode


def backup(database: Database, destination: Path) -> Path:
    """Write a backup of the database to `destination` (0600; new folders 0700) and return it."""
    private_file(destination)
    if _kind(database) == "postgresql":
        arguments, environment = _postgres(database)
        # The custom format is compressed and lets pg_restore clean and restore in one transaction.
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(destination)]
        # The arguments come from settings and the operator's command line, never from a request.
        subprocess.run([*command, *arguments], env=environment, check=True)  # noqa: S603
    else:
        # SQLite's backup API copies a consistent snapshot even while the app writes (WAL mode).
        _sqlite_copy(_sqlite_path(database), str(destination))
    return destination


def restore(database: Database, source: Path) -> None:
    """Replace everything in the database with the backup in `source`.

    PostgreSQL: in one transaction, so a failed restore leaves the database as it was.
    """
    if not source.is_file():
        raise FileNotFoundError(f"No backup at {source}.")
    if _kind(database) == "postgresql":
        arguments, environment = _postgres(database)
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
        subprocess.run([*command, *arguments, str(source)], env=environment, check=True)  # noqa: S603
    else:
        _sqlite_copy(str(source), _sqlite_path(database))
