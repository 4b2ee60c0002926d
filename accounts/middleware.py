import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve

from .mfa import ADMIN_SITE_MESSAGE, mfa_enrolment_redirect, request_has_mfa
from .scoping import database_fail_closed
from .sessions import session_expiry_reason


class DatabaseFailClosedMiddleware:
    """A request starts with the database showing no trust until a tenant decorator (or an
    explicit whole-database path) enters a scope: as in production, whatever a test harness set
    for its own set-up code (accounts.scoping.database_default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with database_fail_closed():
            return self.get_response(request)


class LoginRequiredByDefaultMiddleware:
    """Every page needs login unless its URL name is on the reviewed allow-list in settings.

    Unknown paths fall through to the normal 404, and static files never reach here in
    production (WhiteNoise answers them first).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not self._is_public(request.path_info):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _is_public(path: str) -> bool:
        if path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return True
        # The API answers for itself: 401 with problem details, never a redirect to a page (its
        # documentation is a page, and sends people to sign in like every other).
        if match.namespace == "api" and match.url_name != "docs":
            return True
        return match.view_name in settings.ANONYMOUS_ALLOWED_URL_NAMES


class SessionTimeoutMiddleware:
    """Ends a session that has been idle too long, is too old, or whose user's sessions were ended
    (removed or suspended from a trust): signs out, and sends the user to sign in with a message.

    On a page open to anonymous users the request simply carries on signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = session_expiry_reason(request.session, request.user, time.time())
            if reason:
                logout(request)
                if not LoginRequiredByDefaultMiddleware._is_public(request.path_info):
                    messages.info(request, reason)
                    return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class AdminMfaRequiredMiddleware:
    """The Django admin (superusers only) needs two-factor authentication set up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            settings.ADMIN_MFA_REQUIRED
            and match is not None
            and match.namespace == "admin"
            and request.user.is_authenticated
            and request.user.is_superuser
            and not request_has_mfa(request)
        ):
            return mfa_enrolment_redirect(request, ADMIN_SITE_MESSAGE)
        return None
