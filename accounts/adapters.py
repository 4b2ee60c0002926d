from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from core.client_ip import client_ip

from .selectors import invitation_get_by_token

SESSION_INVITATION_KEY = "pending_invitation"


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is closed except to people holding an open invitation."""

    def is_open_for_signup(self, request):
        token = request.session.get(SESSION_INVITATION_KEY)
        invitation = invitation_get_by_token(token) if token else None
        return bool(invitation and invitation.is_open)

    def get_client_ip(self, request):
        """The address the sign-in throttle counts: X-Forwarded-For only as far as our own proxies
        (settings.TRUSTED_PROXY_COUNT), the same as every other limit (core.client_ip)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip
