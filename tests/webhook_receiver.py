"""A real HTTP server on a free local port that receives webhooks the way a trust's system
would: it checks each one's Standard Webhooks signature itself (written from the specification,
not with the code under test) and answers with the statuses a test queues up."""

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60  # the specification's suggested replay window


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


def verify(signing_secrets, headers, body: bytes) -> bool:
    """``webhook-signature`` holds a ``v1,<base64 HMAC-SHA256>`` of ``id.timestamp.body`` keyed
    with the base64-decoded part of one of the secrets after ``whsec_``; the timestamp is recent."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit() or "." in message_id:
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = f"{message_id}.{timestamp}.".encode() + body
    for secret in signing_secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = hmac.new(key, signed, hashlib.sha256).digest()
        for entry in headers.get("webhook-signature", "").split(" "):
            version, _, value = entry.partition(",")
            if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
                return True
    return False


class Receiver:
    def __init__(self):
        self.secrets: list[str] = []
        self.answers: list[tuple[int, dict]] = []  # (status, headers), used in order; then 200
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(
                    Received(self.path, headers, body, verify(receiver.secrets, headers, body))
                )
                status, extra = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                answer = b"Internal error in the receiving system" if status >= 500 else b"ok"
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portfolio"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
