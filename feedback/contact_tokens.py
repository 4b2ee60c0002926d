"""The signed link in the one email that asks someone to confirm their contact address.

The token names the trust and the feedback and carries a digest of the address it was sent to,
so it stops working if the address changes; it is signed (``django.core.signing``, keyed by
SECRET_KEY) and expires after ``MAX_AGE``. It is base64url-encoded so that it is a plain
URL token (letters, digits, ``-`` and ``_``).
"""

import base64
import binascii
import hashlib
from datetime import timedelta

from django.core.signing import BadSignature, TimestampSigner
from django.utils.crypto import constant_time_compare

SALT = "feedback.contact-confirmation"
MAX_AGE = timedelta(days=7)


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def make_token(*, organisation_id: int, feedback_id: int, email: str) -> str:
    signed = TimestampSigner(salt=SALT).sign(f"{organisation_id}.{feedback_id}.{_digest(email)}")
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def read_token(token: str) -> tuple[int, int, str] | None:
    """(organisation id, feedback id, address digest) of a genuine, unexpired token, else None."""
    try:
        signed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        value = TimestampSigner(salt=SALT).unsign(signed, max_age=MAX_AGE)
        organisation_id, feedback_id, digest = value.split(".")
        return int(organisation_id), int(feedback_id), digest
    except (BadSignature, binascii.Error, UnicodeDecodeError, ValueError):
        return None


def is_for(digest: str, email: str) -> bool:
    return bool(email) and constant_time_compare(digest, _digest(email))
