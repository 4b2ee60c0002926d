"""The Standard Webhooks 1.0 signature (symmetric, ``v1``).

The secret is ``whsec_`` followed by the base64 of random bytes (24 to 64; we use 32). The
signature is HMAC-SHA256, keyed with those bytes, of ``{webhook-id}.{webhook-timestamp}.{body}``,
sent base64-encoded as ``v1,<signature>``; several, space-separated, while an old secret is still
honoured after a rotation.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MESSAGE_ID_PREFIX = "msg_"


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def message_id_new() -> str:
    """Unique, and never holding a full stop (the signed content is split on them)."""
    return MESSAGE_ID_PREFIX + secrets.token_hex(16)


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(signing_secrets: list[str], message_id: str, timestamp: int, body) -> str:
    """The ``webhook-signature`` header: one signature per secret still in use."""
    return " ".join(signature(s, message_id, timestamp, body) for s in signing_secrets if s)
