"""The service's public pages, open without signing in (settings.ANONYMOUS_ALLOWED_URL_NAMES):
accessibility statement, privacy notice, cookies, contact, and service status in words.

What they say about cookies, time limits and contacts is read from the settings, so the pages
follow a change of configuration; retention periods kept in higher apps are checked against the
privacy notice's text by tests/test_public_pages.py.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from . import health


def _duration(seconds: int) -> str:
    """In words, by its largest whole unit: 12 hours, 30 minutes; about a year counts as 1 year
    (Django's CSRF cookie lasts 52 weeks)."""
    if seconds >= 364 * 86400:
        years = round(seconds / (365 * 86400))
        return f"{years} year{'s' if years != 1 else ''}"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _support():
    return {"support_email": settings.SUPPORT_EMAIL}


@require_safe
def accessibility(request):
    return render(request, "pages/accessibility.html", _support())


@require_safe
def privacy(request):
    return render(
        request,
        "pages/privacy.html",
        {
            **_support(),
            "session_idle": _duration(settings.SESSION_IDLE_TIMEOUT_SECONDS),
            "session_absolute": _duration(settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS),
            "invitation_hours": settings.INVITATION_VALIDITY_HOURS,
        },
    )


@require_safe
def cookies(request):
    return render(
        request,
        "pages/cookies.html",
        {
            "session_cookie_name": settings.SESSION_COOKIE_NAME,
            "session_cookie_age": _duration(settings.SESSION_COOKIE_AGE),
            "session_idle": _duration(settings.SESSION_IDLE_TIMEOUT_SECONDS),
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
            "csrf_cookie_age": _duration(settings.CSRF_COOKIE_AGE),
        },
    )


@require_safe
def contact(request):
    return render(request, "pages/contact.html", _support())


@require_safe
def status(request):
    """The same checks as the JSON health endpoint and more, for people. Always a 200: the page
    must answer, and say in words, whatever is down."""
    checks = health.service_checks()
    response = render(
        request,
        "pages/status.html",
        {"checks": checks, "all_working": all(check.ok for check in checks)},
    )
    add_never_cache_headers(response)
    return response
