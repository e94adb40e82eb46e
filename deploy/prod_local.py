"""`make prod-local`: production on this machine. Two gunicorn app servers behind nginx, over
PostgreSQL and Redis, with the task worker and the scheduler; one Ctrl-C stops them all.

    .venv/bin/python deploy/prod_local.py [--port 8443] [--app-ports 8001,8002] [--workers 2]

The settings are production's (DEBUG off), with local values only where production's need a
real outside service:
- TLS: nginx terminates it with a self-signed certificate made by openssl at start-up (the
  browser warns once), so secure cookies, the HTTPS redirect and the CSRF origin checks are the
  real ones. nginx runs deploy/nginx-diary.conf itself, with its names, ports and certificate
  swapped for local ones.
- SECRET_KEY and the VAPID key: made afresh for each run (sessions end when it stops).
- Email: the SMTP backend, delivering to a sink in this process that keeps each message in
  <dir>/mail/ and prints only who it is for (reset links never reach the terminal).
- HSTS: SECURE_HSTS_SECONDS=0, or the browser would refuse plain http://localhost on every
  port (`make run`) for a year. Nothing else is loosened.

DATABASE_URL defaults to the local `diary` database (made if missing, as .ci/run does) and
CACHE_URL to Redis database 0; both are taken from the environment when set. Migrations and
collectstatic run first. The two-server tests (tests/test_multiserver.py) start this script; it
prints "ready: <url>" once every server answers.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from email import message_from_bytes
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx-diary.conf"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop every process and leave."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def need(program: str) -> str:
    found = shutil.which(program)
    if not found:
        sys.exit(f"prod-local needs {program} (apt-get install {program})")
    return found


def make_database(url: str) -> None:
    """Create the PostgreSQL database DATABASE_URL names if it is missing."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit(f"prod-local runs on PostgreSQL; DATABASE_URL is {parts.scheme}://...")
    import psycopg

    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')  # the name is the operator's own setting
            print(f"created database {name}")


def vapid_private_key() -> str:
    from py_vapid import Vapid02
    from py_vapid.utils import b64urlencode

    vapid = Vapid02()
    vapid.generate_keys()
    return str(b64urlencode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big")))


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for a week."""
    cert, key = folder / "localhost.crt", folder / "localhost.key"
    names = "subjectAltName=DNS:localhost,IP:127.0.0.1"
    command = [need("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=localhost",
               "-addext", names, "-keyout", str(key), "-out", str(cert)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603
    return cert, key


def nginx_config(folder: Path, port: int, app_ports: list[int], cert: Path, key: Path) -> Path:
    """deploy/nginx-diary.conf with local names, ports and paths, inside a minimal nginx.conf."""
    site = NGINX_SITE.read_text()
    start, end = site.index("# BEGIN plain HTTP"), site.index("# END plain HTTP")
    site = site[:start] + site[end:]
    upstreams = "\n    ".join(f"server 127.0.0.1:{app_port};" for app_port in app_ports)
    swaps = {
        "server 127.0.0.1:8001;\n    server 127.0.0.1:8002;": upstreams,
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server_name diary.example.org;": "server_name localhost 127.0.0.1;",
        "/etc/letsencrypt/live/diary.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/diary.example.org/privkey.pem": str(key),
        "access_log /var/log/nginx/diary.access.log;": "access_log off;",
    }
    for old, new in swaps.items():
        if site.count(old) != 1:
            sys.exit(f"deploy/nginx-diary.conf changed: prod-local expected {old!r} once")
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody and could not write into this private folder.
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    return conf


class MailSink(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: keeps each message in a file, prints whom it is for."""

    folder: Path

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 prod-local mail sink")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 prod-local")
            elif command.startswith("RCPT TO:"):
                recipients.append(line.decode(errors="replace").strip()[8:].strip(" <>"))
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End with <CRLF>.<CRLF>")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                path = self.folder / f"{time.time_ns()}.eml"
                path.write_bytes(body)
                subject = message_from_bytes(body).get("Subject", "")
                print(f"mail to {', '.join(recipients)}: {subject!r}, kept in {path}", flush=True)
                recipients = []
                self.reply("250 OK")
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:  # MAIL FROM, RSET, NOOP
                self.reply("250 OK")


def mail_sink(folder: Path) -> int:
    folder.mkdir(exist_ok=True)
    handler = type("Sink", (MailSink,), {"folder": folder})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def environment(site_port: int, folder: Path, mail_port: int) -> dict[str, str]:
    """Production's settings, with the local stand-ins the module's docstring lists."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "TASKS_BACKEND", "SITE_URL"}}
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/diary")
    env.setdefault("CACHE_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("CLINIC_NAME", "Riverside Physio (prod-local)")
    env.setdefault("CLINIC_ACUTE_PHONE", "0800 123 4567")
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SITE_URL": f"https://localhost:{site_port}",
            "NUM_PROXIES": "1",
            "SECURE_HSTS_SECONDS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
            "EMAIL_USE_TLS": "0",
            "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY") or vapid_private_key(),
            "MPLCONFIGDIR": str(folder / "matplotlib"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def answers(url: str, context: ssl.SSLContext | None = None) -> bool:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PROD_LOCAL_PORT", "8443")), help="nginx (HTTPS)"
    )
    parser.add_argument("--app-ports", default=os.environ.get("PROD_LOCAL_APP_PORTS", "8001,8002"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--dir", help="where the generated files go (default: a temporary folder, removed at the end)")
    parser.add_argument("--no-background", action="store_true", help="leave out the task worker and the scheduler")
    args = parser.parse_args()
    app_ports = [int(port) for port in args.app_ports.split(",")]
    nginx = need("nginx")
    for port in [args.port, *app_ports]:
        if not port_free(port):
            sys.exit(f"port {port} is taken (--port, --app-ports)")

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="diary-prod-local-"))
    folder.mkdir(parents=True, exist_ok=True)
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        env = environment(args.port, folder, mail_sink(folder / "mail"))
        make_database(env["DATABASE_URL"])
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        cert, key = self_signed_certificate(folder)
        conf = nginx_config(folder, args.port, app_ports, cert, key)

        commands = {
            f"web {port}": [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
                            str(args.workers), "--timeout", "60", "--no-control-socket"]
            for port in app_ports
        }  # fmt: skip
        if not args.no_background:
            commands["worker"] = [*manage, "db_worker", "--no-startup-delay", "--no-reload"]
            commands["scheduler"] = [*manage, "scheduler"]
        commands["nginx"] = [nginx, "-p", str(folder), "-c", str(conf), "-e", "stderr"]
        for name, command in commands.items():
            processes.append((name, subprocess.Popen(command, cwd=ROOT, env=env)))  # noqa: S603

        trusted = ssl.create_default_context(cafile=str(cert))
        url = f"https://localhost:{args.port}/"
        checks = [f"http://127.0.0.1:{port}/api/v1/auth/csrf" for port in app_ports]
        deadline = time.monotonic() + 120
        while not all(answers(check) for check in checks) or not answers(url + "api/v1/auth/csrf", trusted):
            if time.monotonic() > deadline:
                sys.exit("prod-local: the servers did not answer within two minutes")
            for name, process in processes:
                if process.poll() is not None:
                    sys.exit(f"prod-local: {name} stopped (exit {process.returncode})")
            time.sleep(0.3)
        print(f"ready: {url} (self-signed certificate {cert}); app servers on {', '.join(map(str, app_ports))}")
        print("Ctrl-C stops all.", flush=True)
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    sys.exit(f"prod-local: {name} stopped (exit {process.returncode}); stopping the rest")
            time.sleep(0.5)
    except Stop:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for _, process in processes:
            if process.poll() is None:
                process.terminate()
        for _, process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
