"""A push service on 127.0.0.1 for the tests and the bench: what a browser vendor's service checks.

It receives what pywebpush sends, checks the VAPID JWT (RFC 8292: ES256, the audience is this
service's origin, the expiry is in the future and within 24 hours, the key in the header is the
server's), decrypts the body with the subscription's private key (RFC 8291, aes128gcm, http_ece)
and records it. It can answer 404/410/429/500 on demand, for one subscription at a time.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Message:
    token: str
    payload: dict[str, Any]
    ttl: int
    encoding: str
    claims: dict[str, Any]


@dataclass
class Phone:
    """A browser's side of one subscription: its private key and auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def keys(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}


@dataclass
class PushStandIn:
    server_public_key: str  # base64url uncompressed point, as push/key answers
    phones: dict[str, Phone] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def phone(self) -> tuple[str, dict[str, str]]:
        """A new subscription: its endpoint and keys, as a browser's PushSubscription.toJSON() has them."""
        token = b64url(os.urandom(12))
        phone = Phone(token, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        with self.lock:
            self.phones[token] = phone
        return f"{self.origin}/push/{token}", phone.keys()

    def answer(self, endpoint: str, *statuses: int) -> None:
        """Answer the next requests for this endpoint with these statuses, in turn (then 201 again)."""
        self.answers.setdefault(endpoint.rsplit("/", 1)[-1], []).extend(statuses)

    def messages_for(self, endpoint: str) -> list[Message]:
        token = endpoint.rsplit("/", 1)[-1]
        return [message for message in self.messages if message.token == token]

    def check_jwt(self, authorization: str) -> dict[str, Any]:
        """The claims of a valid VAPID header ("vapid t=<jwt>, k=<key>"); ValueError otherwise."""
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"not a vapid Authorization: {scheme}")
        parts = dict(item.strip().split("=", 1) for item in rest.split(","))
        if parts["k"] != self.server_public_key:
            raise ValueError("signed with another key than the server's")
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(b64url_decode(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg {header.get('alg')}")
        signature = b64url_decode(signature_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("bad signature") from None
        claims: dict[str, Any] = json.loads(b64url_decode(claims_b64))
        if claims.get("aud") != self.origin:
            raise ValueError(f"audience {claims.get('aud')}")
        if not time.time() < claims["exp"] <= time.time() + 24 * 3600:
            raise ValueError(f"expiry {claims['exp']}")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise ValueError("no sub")
        return claims

    def receive(self, path: str, headers: Any, body: bytes) -> int:
        token = path.rsplit("/", 1)[-1]
        with self.lock:
            phone = self.phones.get(token)
            queued = self.answers.get(token)
            if queued:
                return queued.pop(0)
        if phone is None:
            return 404
        try:
            claims = self.check_jwt(headers.get("Authorization", ""))
            encoding = headers.get("Content-Encoding", "")
            if encoding != "aes128gcm":
                raise ValueError(f"encoding {encoding}")
            ttl = int(headers["TTL"])
            plain = http_ece.decrypt(body, private_key=phone.private_key, auth_secret=phone.auth, version="aes128gcm")
            message = Message(token, json.loads(plain), ttl, encoding, claims)
        except (ValueError, KeyError) as error:
            with self.lock:
                self.refused.append(f"{token}: {error}")
            return 400
        with self.lock:
            self.messages.append(message)
        return 201


def _handler(standin: PushStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = standin.receive(self.path, self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(server_public_key: str) -> Iterator[PushStandIn]:
    """A stand-in listening on a free port of 127.0.0.1 until the block ends."""
    standin = PushStandIn(server_public_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
