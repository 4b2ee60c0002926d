"""Guards on anonymous feedback: NHS numbers in free text, rate limits that fail open."""

import logging
import re

from django.core.cache import cache

logger = logging.getLogger(__name__)

# 10 digits, optionally grouped 3-3-4 with spaces or hyphens, not inside a longer number.
_NHS_NUMBER_CANDIDATE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number modulus 11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    return any(
        is_valid_nhs_number("".join(match.groups()))
        for match in _NHS_NUMBER_CANDIDATE.finditer(text)
    )


def allow_anonymous_post(key: str, limit: int = 10, window_seconds: int = 600) -> bool:
    """True while ``key`` has made fewer than ``limit`` posts in the window.

    Fails open: if the cache (Redis) is down, the feedback is still accepted, because losing a
    clinician's report is worse than letting a few extra posts through.
    """
    cache_key = f"feedback-rate:{key}"
    try:
        added = cache.add(cache_key, 1, timeout=window_seconds)
        count = 1 if added else cache.incr(cache_key)
    except Exception:
        logger.warning("Rate limit cache unavailable; accepting the post.", exc_info=True)
        return True
    return count <= limit
