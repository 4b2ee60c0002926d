"""Idle and absolute session timeouts, and ending a user's sessions everywhere.

Sign-in stamps the session with its time and the user's ``session_generation``; every request
checks them (``accounts.middleware.SessionTimeoutMiddleware``). The stamps live in the session, so
this works with any session backend (database, cached_db, cache, signed cookies).
"""

from django.conf import settings

LOGIN_AT_KEY = "_accounts_login_at"
SEEN_AT_KEY = "_accounts_seen_at"
GENERATION_KEY = "_accounts_session_generation"
# Last activity is written at most this often, so a page view is not a session write each time.
ACTIVITY_RESOLUTION_SECONDS = 60

SIGNED_OUT_MESSAGE = "You have been signed out. Sign in again to continue."


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def session_start(session, user, now: float) -> None:
    session[LOGIN_AT_KEY] = now
    session[SEEN_AT_KEY] = now
    session[GENERATION_KEY] = user.session_generation


def session_expiry_reason(session, user, now: float) -> str | None:
    """Why this signed-in session must end now (a message for the user), or None.

    A session without the stamps (signed in before they existed) ends too: fail closed.
    """
    login_at = session.get(LOGIN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY)
    if (
        login_at is None
        or seen_at is None
        or session.get(GENERATION_KEY) != user.session_generation
    ):
        return SIGNED_OUT_MESSAGE
    absolute = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
    if now - login_at >= absolute:
        return (
            f"You have been signed out because you signed in more than {_duration(absolute)} "
            "ago. Sign in again to continue."
        )
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    if now - seen_at >= idle:
        return (
            f"You have been signed out because you had not used the service for "
            f"{_duration(idle)}. Sign in again to continue."
        )
    if now - seen_at >= ACTIVITY_RESOLUTION_SECONDS:
        session[SEEN_AT_KEY] = now
    return None
